"""Builders for 1Pilot data, written straight to the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.apps.onepilot.models import Log, Site, Tag
from pilothouse.core.secrets import SecretBox
from tests.builders import Account

AGENT_KEY = "agent-private-key-0123456789"


def create_site(
    session: Session, account: Account, box: SecretBox, *, key: str = AGENT_KEY, **overrides: Any
) -> Site:
    fields: dict[str, Any] = {"name": "Example", "url": "http://example.test"} | overrides
    site = Site(organization_id=account.organization_id, private_key_sealed=box.seal(key), **fields)
    session.add(site)
    session.flush()
    return site


def create_tag(session: Session, account: Account, name: str = "Test") -> Tag:
    tag = Tag(organization_id=account.organization_id, name=name)
    session.add(tag)
    session.flush()
    return tag


def create_log(
    session: Session,
    site: Site,
    *,
    type: str = "site_down",
    category: str = "monitor",
    created_at: datetime | None = None,
) -> Log:
    log = Log(
        organization_id=site.organization_id,
        site_id=site.id,
        category=category,
        type=type,
        message=f"{type} on {site.name}",
    )
    if created_at is not None:
        log.created_at = created_at
    session.add(log)
    session.flush()
    return log
