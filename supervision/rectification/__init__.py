"""Inspection rectification (巡察整改, SPEC §14): the ledger of findings and measures, their
sign-off, progress summaries and snapshots, and the published progress notice."""
