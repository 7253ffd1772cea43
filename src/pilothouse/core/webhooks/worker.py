"""The delivery loop: one server process at a time (a lease) posts what is due."""

from __future__ import annotations

import asyncio
import logging

import httpx

from pilothouse.core.db import session_scope
from pilothouse.core.leases import run_leased
from pilothouse.core.models import utcnow
from pilothouse.core.runtime import Runtime
from pilothouse.core.webhooks.service import deliver, due_deliveries

__all__ = ["deliver_due", "run_deliveries"]

logger = logging.getLogger("pilothouse.webhooks")
LEASE = "webhook-deliveries"
# Receivers get 10 s to answer; redirects are not followed (a webhook URL is exact).
TIMEOUT = httpx.Timeout(10.0)


def deliver_due(runtime: Runtime, client: httpx.Client) -> int:
    """Post every delivery due now; the number that succeeded."""
    with session_scope(runtime.sessions) as session:
        due = due_deliveries(session, now=utcnow())
    delivered = 0
    for delivery_id in due:
        with session_scope(runtime.sessions) as session:
            delivered += deliver(session, delivery_id, client=client, box=runtime.secrets)
    if due:
        logger.info("webhooks: %d due, %d delivered", len(due), delivered)
    return delivered


async def run_deliveries(runtime: Runtime) -> None:
    """Deliver due webhooks every few seconds while this process holds the lease."""
    interval = runtime.settings.webhook_tick_seconds
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
        await run_leased(
            runtime.engine,
            LEASE,
            lambda: asyncio.to_thread(deliver_due, runtime, client),
            every=interval,
            ttl=interval * 4,
        )
