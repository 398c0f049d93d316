"""Reminders (SPEC §8): the ladder, the sweep, notifications, e-mail, feeds, digests."""
