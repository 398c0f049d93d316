"""Working-day calendar stored in the database (seeded from chinese-calendar)."""
