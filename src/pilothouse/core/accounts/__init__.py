"""Accounts: organizations, users, memberships, API tokens, password and JWT login."""
