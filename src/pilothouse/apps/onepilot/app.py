"""The 1Pilot app as the server mounts it."""

from __future__ import annotations

from pilothouse.apps.onepilot.errors import render_error
from pilothouse.apps.onepilot.monitor import run_scheduler
from pilothouse.apps.onepilot.routes import router
from pilothouse.core.app import AppSpec

__all__ = ["spec"]

spec = AppSpec(
    name="onepilot",
    prefix="/onepilot/api/v1",
    native_prefix="/api/v1",  # https://app.1pilot.io/api/v1
    title="1Pilot REST API",
    description="Sites, tags and logs of a website fleet, with uptime and SSL monitoring.",
    router=router,
    render_error=render_error,
    auth_schemes=("bearer",),
    background=(run_scheduler,),
)
