"""Sites, tags and logs of one organization: the rules, shared by the API and the workers.

Every function takes a session and the caller's Principal, flushes and never commits, except
`read_site`, the hot read: it awaits prepared reads and opens no unit of work.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pilothouse.apps.onepilot.models import Log, Package, Site, SiteCheck, Tag, site_tags
from pilothouse.apps.onepilot.schemas import (
    MonitorSettings,
    SiteCreate,
    SiteUpdate,
    log_out,
    site_out,
)
from pilothouse.core.auth import Principal
from pilothouse.core.errors import ValidationFailed
from pilothouse.core.models import utcnow
from pilothouse.core.pagination import Page, PageParams, paginate
from pilothouse.core.reads import Prepared, Reads
from pilothouse.core.scoping import MAX_ID, get_scoped, read_scoped, scoped, scoped_by_id
from pilothouse.core.secrets import SecretBox
from pilothouse.core.webhooks import service as webhooks

__all__ = [
    "LogFilter",
    "get_site",
    "list_sites",
    "create_site",
    "update_site",
    "delete_site",
    "rotate_private_key",
    "uptime_for",
    "store_uptime",
    "stored_uptime",
    "site_body",
    "site_bodies",
    "read_site",
    "list_tags",
    "create_tag",
    "delete_tag",
    "list_logs",
    "add_log",
    "list_packages",
]

URL_TAKEN = {"url": ["The url has already been taken."]}
# Log type → webhook event (issue 10: site_down, site_up, ssl_expiring, update_available).
WEBHOOK_EVENTS = {
    "site_down": "site_down",
    "site_up": "site_up",
    "ssl_expiring": "ssl_expiring",
    "update_extension_available": "update_available",
}
# Uptime windows, as 1Pilot's agent reports error counts: 24 hours, 7 days, 30 days.
UPTIME_WINDOWS = {"24h": 1, "7d": 7, "30d": 30}


@dataclass(frozen=True, slots=True)
class LogFilter:
    site_id: int | None = None
    type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _same_url(url: str) -> str:
    return url.rstrip("/")


def get_site(session: Session, principal: Principal, site_id: int) -> Site | None:
    """One of the organization's sites, or None."""
    return get_scoped(session, Site, site_id, principal, joined=(Site.tags,))


def list_sites(
    session: Session,
    principal: Principal,
    page: PageParams,
    *,
    tag: str | None = None,
    search: str | None = None,
    status: str | None = None,
) -> Page[Site]:
    """The organization's sites, oldest first, filtered by tag (id or name), text and status."""
    stmt = scoped(select(Site), principal).order_by(Site.id)
    if tag:
        by_id = tag.isdigit() and int(tag) <= MAX_ID
        match = Tag.id == int(tag) if by_id else func.lower(Tag.name) == tag.lower()
        tagged = (
            select(site_tags.c.site_id)
            .join(Tag, Tag.id == site_tags.c.tag_id)
            .where(match, Tag.organization_id == principal.organization_id)
        )
        stmt = stmt.where(Site.id.in_(tagged))
    if search:
        pattern = f"%{search.lower()}%"
        stmt = stmt.where(
            or_(func.lower(Site.name).like(pattern), func.lower(Site.url).like(pattern))
        )
    if status:
        stmt = stmt.where(func.lower(Site.status) == status.lower())
    return paginate(session, stmt, page)


def _resolve_tags(session: Session, principal: Principal, refs: Sequence[int | str]) -> list[Tag]:
    tags: dict[int, Tag] = {}
    for ref in refs:
        if isinstance(ref, int):
            tag = get_scoped(session, Tag, ref, principal)
            if tag is None:
                raise ValidationFailed({"tags": ["The selected tags is invalid."]})
        else:
            tag = _tag_named(session, principal, ref)
        tags[tag.id] = tag
    return list(tags.values())


def _tag_named(session: Session, principal: Principal, name: str) -> Tag:
    name = name.strip()
    if not name or len(name) > 255:
        raise ValidationFailed({"tags": ["The selected tags is invalid."]})
    tag = session.scalars(scoped(select(Tag), principal).where(Tag.name == name)).first()
    if tag is None:
        tag = Tag(organization_id=principal.organization_id, name=name)
        session.add(tag)
        session.flush()
    return tag


def _link_tags(session: Session, site: Site, tags: list[Tag]) -> None:
    session.execute(delete(site_tags).where(site_tags.c.site_id == site.id))
    if tags:
        rows = [
            {"site_id": site.id, "tag_id": tag.id, "organization_id": site.organization_id}
            for tag in tags
        ]
        session.execute(site_tags.insert(), rows)
    session.expire(site, ["tags"])


def _url_taken(session: Session, principal: Principal, url: str, *, but: int | None) -> bool:
    stmt = scoped(select(Site.id), principal).where(
        func.rtrim(Site.url, "/") == _same_url(url), Site.id != (but or 0)
    )
    return session.scalar(stmt) is not None


def _apply_monitor(site: Site, monitor: MonitorSettings | None) -> None:
    if monitor is None:
        return
    fields = monitor.model_dump(exclude_unset=True, exclude_none=True)
    names = {"path": "check_path", "agent": "agent_enabled"}
    for key, value in fields.items():
        setattr(site, names.get(key, key), value)
    if "interval_minutes" in fields:
        site.next_check_at = None


def _flush_unique(session: Session, errors: dict[str, list[str]]) -> None:
    # Checked before; this covers a concurrent insert. The request's unit of work rolls back.
    try:
        session.flush()
    except IntegrityError:
        raise ValidationFailed(errors) from None


def create_site(
    session: Session, principal: Principal, data: SiteCreate, *, secrets_box: SecretBox
) -> tuple[Site, str]:
    """A new site with its agent private key; returns the site and the key (shown once)."""
    if _url_taken(session, principal, data.url, but=None):
        raise ValidationFailed(URL_TAKEN)
    tags = _resolve_tags(session, principal, data.tags)
    key = data.private_key or secrets.token_urlsafe(32)
    site = Site(
        organization_id=principal.organization_id,
        name=data.name,
        url=data.url,
        admin_url=data.admin_url,
        notes=data.notes,
        published=data.published,
        private_key_sealed=secrets_box.seal(key),
    )
    _apply_monitor(site, data.monitor)
    session.add(site)
    _flush_unique(session, URL_TAKEN)
    _link_tags(session, site, tags)
    return site, key


def update_site(
    session: Session, principal: Principal, site_id: int, data: SiteUpdate
) -> Site | None:
    """Change the given fields of a site; None when it is not the organization's."""
    site = get_site(session, principal, site_id)
    if site is None:
        return None
    fields = data.model_dump(exclude_unset=True, exclude={"tags", "monitor"})
    if "url" in fields and _url_taken(session, principal, fields["url"], but=site.id):
        raise ValidationFailed(URL_TAKEN)
    tags = _resolve_tags(session, principal, data.tags) if data.tags is not None else None
    for key, value in fields.items():
        setattr(site, key, value)
    if "url" in fields:
        site.next_check_at = None
    _apply_monitor(site, data.monitor)
    site.updated_at = utcnow()
    _flush_unique(session, URL_TAKEN)
    if tags is not None:
        _link_tags(session, site, tags)
    return site


def delete_site(session: Session, principal: Principal, site_id: int) -> bool:
    """Delete a site with its logs, checks and packages; False when it is not the organization's."""
    site = get_site(session, principal, site_id)
    if site is None:
        return False
    for model in (Log, SiteCheck, Package):
        session.execute(delete(model).where(model.site_id == site.id))
    session.delete(site)
    session.flush()
    return True


def rotate_private_key(
    session: Session,
    principal: Principal,
    site_id: int,
    *,
    secrets_box: SecretBox,
    key: str | None = None,
) -> tuple[Site, str] | None:
    """Replace a site's agent key (by `key`, else a random one); returns the site and the key."""
    site = get_site(session, principal, site_id)
    if site is None:
        return None
    key = key or secrets.token_urlsafe(32)
    site.private_key_sealed = secrets_box.seal(key)
    site.updated_at = utcnow()
    session.flush()
    return site, key


def _uptime_statement(sites: ColumnElement[bool]) -> Select[Any]:
    columns: list[ColumnElement[Any]] = []
    for key in UPTIME_WINDOWS:
        since = SiteCheck.checked_at >= bindparam(f"since_{key}")
        columns.append(func.sum(case((since, 1), else_=0)))
        columns.append(func.sum(case((and_(since, SiteCheck.ok), 1), else_=0)))
    day = and_(SiteCheck.checked_at >= bindparam("since_24h"), SiteCheck.ok)
    columns.append(func.avg(case((day, SiteCheck.response_ms), else_=None)))
    return (
        select(SiteCheck.site_id, *columns)
        .where(sites, SiteCheck.checked_at >= bindparam("since_30d"))
        .group_by(SiteCheck.site_id)
    )


# Built once: building a statement costs more than running it.
_UPTIME = _uptime_statement(SiteCheck.site_id.in_(bindparam("site_ids", expanding=True)))
_UPTIME_ONE = Prepared(_uptime_statement(SiteCheck.site_id == bindparam("site_id")))
# A site as the API shows it: not its sealed agent key, nor the monitor's bookkeeping.
_SITE_ROW = scoped_by_id(
    Site,
    leave_out={
        "private_key_sealed",
        "next_check_at",
        "next_agent_at",
        "consecutive_failures",
        "agent_ok",
        "agent_checked_at",
    },
)
_SITE_TAGS = Prepared(
    select(Tag.id, Tag.name, Tag.created_at, Tag.updated_at)
    .join(site_tags, site_tags.c.tag_id == Tag.id)
    .where(site_tags.c.site_id == bindparam("site_id"))
    .order_by(Tag.id)
)
NO_UPTIME: dict[str, Any] = {"24h": None, "7d": None, "30d": None, "response_time_ms": None}
# A rollup older than this many check intervals (and ROLLUP_MIN_AGE) is computed afresh on
# read: the site is no longer being checked, and its windows have moved on since.
ROLLUP_STALE_INTERVALS = 2
ROLLUP_MIN_AGE = timedelta(minutes=10)


def _windows(now: datetime) -> dict[str, datetime]:
    return {f"since_{key}": now - timedelta(days=days) for key, days in UPTIME_WINDOWS.items()}


def uptime_for(session: Session, site_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Uptime percentages (24 h / 7 d / 30 d) and the 24 h mean response time, per site,
    computed from the checks (sites without checks in 30 days are left out)."""
    if not site_ids:
        return {}
    params: dict[str, Any] = {**_windows(utcnow()), "site_ids": list(site_ids)}
    rows = session.execute(_UPTIME, params).all()
    return {row[0]: _uptime(row[1:]) for row in rows}


def store_uptime(session: Session, site: Site) -> None:
    """Take the site's uptime rollup now (the monitor does, after each check it stores)."""
    uptime = uptime_for(session, [site.id]).get(site.id, NO_UPTIME)
    site.uptime_24h, site.uptime_7d, site.uptime_30d = uptime["24h"], uptime["7d"], uptime["30d"]
    site.response_time_ms = uptime["response_time_ms"]
    site.uptime_at = utcnow()


def stored_uptime(site: Any, now: datetime) -> dict[str, Any] | None:
    """The site's uptime from its rollup (a Site or a row of its columns); None when the
    rollup is missing or stale and the checks must be read."""
    if site.last_check_at is None:
        return NO_UPTIME  # never checked: nothing to count
    taken = site.uptime_at
    stale_after = max(
        ROLLUP_MIN_AGE, ROLLUP_STALE_INTERVALS * timedelta(minutes=site.interval_minutes)
    )
    if taken is None or now - taken > stale_after:
        return None
    return {
        "24h": site.uptime_24h,
        "7d": site.uptime_7d,
        "30d": site.uptime_30d,
        "response_time_ms": site.response_time_ms,
    }


def site_body(session: Session, site: Site, *, private_key: str | None = None) -> dict[str, Any]:
    """The Site as the API shows it, with its uptime (and its private key, when just made)."""
    uptime = stored_uptime(site, utcnow())
    if uptime is None:
        uptime = uptime_for(session, [site.id]).get(site.id, NO_UPTIME)
    return site_out(site, uptime, private_key=private_key)


def site_bodies(session: Session, sites: Sequence[Site]) -> list[dict[str, Any]]:
    """Sites as the API shows them; one aggregate query for those whose rollup is stale."""
    now = utcnow()
    stored = {site.id: stored_uptime(site, now) for site in sites}
    live = uptime_for(session, [site_id for site_id, up in stored.items() if up is None])
    return [site_out(site, stored[site.id] or live.get(site.id, NO_UPTIME)) for site in sites]


async def read_site(reads: Reads, principal: Principal, site_id: int) -> dict[str, Any] | None:
    """One of the organization's sites as the API shows it, from prepared reads: the row, its
    tags and (while fresh) its uptime rollup, without opening a unit of work."""
    site = await read_scoped(reads, _SITE_ROW, site_id, principal)
    if site is None:
        return None
    tags = await reads.all(_SITE_TAGS, site_id=site.id)
    now = utcnow()
    uptime = stored_uptime(site, now)
    if uptime is None:
        row = await reads.first(_UPTIME_ONE, site_id=site.id, **_windows(now))
        uptime = NO_UPTIME if row is None else _uptime(row[1:])
    return site_out(site, uptime, tags=tags)


def _uptime(values: Sequence[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for index, key in enumerate(UPTIME_WINDOWS):
        total, up = values[2 * index] or 0, values[2 * index + 1] or 0
        out[key] = round(100 * up / total, 2) if total else None
    mean = values[-1]
    out["response_time_ms"] = round(float(mean)) if mean is not None else None
    return out


def list_tags(session: Session, principal: Principal, page: PageParams) -> Page[Tag]:
    """The organization's tags, oldest first."""
    return paginate(session, scoped(select(Tag), principal).order_by(Tag.id), page)


def create_tag(session: Session, principal: Principal, *, name: str) -> Tag:
    """A new tag; a name already used in the organization is a validation error."""
    taken = session.scalars(scoped(select(Tag.id), principal).where(Tag.name == name)).first()
    if taken is not None:
        raise ValidationFailed({"name": ["The name has already been taken."]})
    tag = Tag(organization_id=principal.organization_id, name=name)
    session.add(tag)
    _flush_unique(session, {"name": ["The name has already been taken."]})
    return tag


def delete_tag(session: Session, principal: Principal, tag_id: int) -> bool:
    """Delete a tag (and its links to sites); False when it is not the organization's."""
    tag = get_scoped(session, Tag, tag_id, principal)
    if tag is None:
        return False
    session.execute(delete(site_tags).where(site_tags.c.tag_id == tag.id))
    session.delete(tag)
    session.flush()
    return True


def list_logs(
    session: Session, principal: Principal, page: PageParams, *, where: LogFilter
) -> Page[Log]:
    """The organization's log entries, newest first, optionally for one site, type and period."""
    stmt = scoped(select(Log), principal).order_by(Log.created_at.desc(), Log.id.desc())
    if where.site_id is not None:
        stmt = stmt.where(Log.site_id == where.site_id)
    if where.type:
        stmt = stmt.where(Log.type == where.type)
    if where.since is not None:
        stmt = stmt.where(Log.created_at >= where.since)
    if where.until is not None:
        stmt = stmt.where(Log.created_at <= where.until)
    return paginate(session, stmt, page)


def add_log(session: Session, site: Site, *, category: str, type: str, message: str) -> Log:
    """Append an event to a site's log; the ones subscribers care about become webhooks."""
    log = Log(
        organization_id=site.organization_id,
        site_id=site.id,
        category=category,
        type=type,
        message=message,
    )
    session.add(log)
    session.flush()
    if type in WEBHOOK_EVENTS:
        webhooks.publish(
            session,
            organization_id=site.organization_id,
            app="onepilot",
            event=WEBHOOK_EVENTS[type],
            data={
                "site": {"id": site.id, "name": site.name, "url": site.url, "status": site.status},
                "log": log_out(log),
            },
        )
    return log


def list_packages(
    session: Session, principal: Principal, site: Site, page: PageParams
) -> Page[Package]:
    """The packages the site's agent last reported, by name."""
    stmt = scoped(select(Package), principal).where(Package.site_id == site.id)
    return paginate(session, stmt.order_by(Package.name, Package.id), page)
