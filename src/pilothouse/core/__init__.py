"""What every app shares, and nothing app-specific."""
