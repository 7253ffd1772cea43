"""1Pilot tables."""
