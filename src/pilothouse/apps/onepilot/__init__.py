"""1Pilot REST API: a fleet of websites — sites, tags, logs — with uptime and SSL monitoring."""

from pilothouse.apps.onepilot.app import spec

__all__ = ["spec"]
