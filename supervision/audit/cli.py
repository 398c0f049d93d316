"""CLI commands of this area (placeholder until built)."""

commands: list = []
