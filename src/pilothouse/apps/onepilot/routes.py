"""1Pilot REST API v1 routes: HTTP only — parse, call the service, render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pilothouse.apps.onepilot.auth import Reader
from pilothouse.core.routing import ApiRoute

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute)


@router.get("/ping", tags=["ping"])
def ping(_principal: Reader) -> dict[str, Any]:
    """Test that you are correctly authenticated."""
    return {"message": "pong"}
