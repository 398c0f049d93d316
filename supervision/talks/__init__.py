"""Talks (谈话) and the talk obligations they fulfil (SPEC §6)."""
