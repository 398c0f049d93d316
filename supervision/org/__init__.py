"""Organisation: units, people, posts, assignments, roster import/export."""
