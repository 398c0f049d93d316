"""Cross-domain helpers: clock, periods, working days, errors, permissions."""
