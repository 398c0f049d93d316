"""Accounts, roles, API tokens and login."""
