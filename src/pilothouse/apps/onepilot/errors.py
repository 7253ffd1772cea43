"""1Pilot errors are Laravel's: `{"message": ...}`, plus `errors` on validation failures."""

from __future__ import annotations

from typing import Any

from pilothouse.core.errors import ApiError, ValidationFailed

__all__ = ["render_error"]


def render_error(error: ApiError) -> dict[str, Any]:
    """Laravel's error body."""
    if isinstance(error, ValidationFailed):
        return {"message": error.message, "errors": error.details}
    if error.status == 429:
        return {"message": "Too Many Attempts."}
    if error.status >= 500:
        return {"message": "Server Error"}
    return {"message": error.message}
