"""Subscribing, publishing into the outbox, and delivering what is due."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.errors import NotFound, ValidationFailed
from pilothouse.core.models import utcnow
from pilothouse.core.secrets import SecretBox
from pilothouse.core.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

__all__ = [
    "MAX_ATTEMPTS",
    "Subscription",
    "subscribe",
    "list_endpoints",
    "remove_endpoint",
    "publish",
    "sign",
    "due_deliveries",
    "deliver",
]

# After this many failed attempts a delivery is marked failed; the waits double from 30 s
# (30 s, 1 min, 2 min ... about 1 h 4 min before the last), like most webhook senders.
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30
SIGNATURE_HEADER = "Pilothouse-Signature"


@dataclass(frozen=True)
class Subscription:
    endpoint: WebhookEndpoint
    secret: str  # shown once, at creation


def _check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationFailed({"url": ["The url must be a valid URL."]})
    return url.strip()


def subscribe(
    session: Session,
    *,
    organization_id: int,
    app: str,
    url: str,
    events: Sequence[str] = ("*",),
    box: SecretBox,
) -> Subscription:
    """A new subscription of `url` to the app's events; its signing secret is returned once."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        organization_id=organization_id,
        app=app,
        url=_check_url(url),
        secret_sealed=box.seal(secret),
        events=" ".join(sorted(set(events))) or "*",
    )
    session.add(endpoint)
    session.flush()
    return Subscription(endpoint=endpoint, secret=secret)


def list_endpoints(session: Session, *, organization_id: int) -> Sequence[WebhookEndpoint]:
    """The organization's subscriptions, oldest first."""
    return session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.organization_id == organization_id)
        .order_by(WebhookEndpoint.id)
    ).all()


def remove_endpoint(session: Session, endpoint_id: int, *, organization_id: int) -> None:
    """Delete a subscription (and its pending deliveries)."""
    endpoint = session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.organization_id == organization_id
        )
    )
    if endpoint is None:
        raise NotFound(f"No webhook with id {endpoint_id}.")
    session.delete(endpoint)
    session.flush()


def publish(
    session: Session, *, organization_id: int, app: str, event: str, data: dict[str, Any]
) -> int:
    """Queue `event` for every active subscription that wants it, in the caller's transaction."""
    endpoints = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.organization_id == organization_id,
            WebhookEndpoint.app == app,
            WebhookEndpoint.active.is_(True),
        )
    ).all()
    wanted = [e for e in endpoints if e.wants(event)]
    if not wanted:
        return 0
    now = utcnow()
    body = orjson.dumps(
        {"event": event, "app": app, "created_at": now.isoformat(), "data": data}
    ).decode()
    for endpoint in wanted:
        session.add(
            WebhookDelivery(
                organization_id=organization_id,
                endpoint_id=endpoint.id,
                event=event,
                payload=body,
                next_attempt_at=now,
            )
        )
    session.flush()
    return len(wanted)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: what receivers verify."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def due_deliveries(session: Session, *, now: datetime, limit: int = 50) -> list[int]:
    """Ids of pending deliveries whose time has come, oldest first."""
    return list(
        session.scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == DeliveryStatus.pending,
                WebhookDelivery.next_attempt_at <= now,
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
    )


def _record(delivery: WebhookDelivery, *, ok: bool, code: int | None, error: str | None) -> None:
    now = utcnow()
    delivery.attempts += 1
    delivery.last_status_code = code
    delivery.last_error = error[:500] if error else None
    if ok:
        delivery.status = DeliveryStatus.delivered
        delivery.delivered_at = now
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.failed
    else:
        wait = FIRST_RETRY_SECONDS * 2 ** (delivery.attempts - 1)
        delivery.next_attempt_at = now + timedelta(seconds=wait)


def deliver(session: Session, delivery_id: int, *, client: httpx.Client, box: SecretBox) -> bool:
    """Post one delivery, signed; record the outcome and schedule a retry when it failed."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.pending:
        return False
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    assert endpoint is not None  # deliveries go with their endpoint (ON DELETE CASCADE)
    body = delivery.payload.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Pilothouse-Webhooks/1",
        "Pilothouse-Event": delivery.event,
        "Pilothouse-Delivery": str(delivery.id),
        SIGNATURE_HEADER: sign(box.open(endpoint.secret_sealed), int(time.time()), body),
    }
    try:
        response = client.post(endpoint.url, content=body, headers=headers)
    except httpx.HTTPError as error:
        _record(delivery, ok=False, code=None, error=f"{type(error).__name__}: {error}")
        return False
    ok = 200 <= response.status_code < 300
    _record(delivery, ok=ok, code=response.status_code, error=None if ok else "non-2xx answer")
    return ok
