"""Pilothouse: one self-hosted server for five product APIs over one shared core."""

__version__ = "0.1.0"
