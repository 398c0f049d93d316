"""Rotation (轮岗交流): policy, tenure and eligibility, deferrals, holds, plans (SPEC §7)."""
