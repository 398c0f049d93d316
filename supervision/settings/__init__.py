"""Rule settings stored in the database, one document per area."""
