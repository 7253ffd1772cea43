"""Uptime and SSL monitoring: the scheduler, and what one check changes.

One server process at a time (a database lease) claims the sites that are due and checks them
concurrently, at most `monitor_concurrency` at once; each check runs in its own task, so a slow
site never delays the others. A check's result is stored compactly (`SiteCheck`) and moves the
site's status; log entries are written only when a state changes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from pilothouse.apps.onepilot import service
from pilothouse.apps.onepilot.agent import sync_agent
from pilothouse.apps.onepilot.models import Site, SiteCheck
from pilothouse.apps.onepilot.probes import Certificate, CheckResult, probe, ssl_context
from pilothouse.apps.onepilot.schemas import iso
from pilothouse.core.auth import Principal
from pilothouse.core.db import session_scope
from pilothouse.core.leases import run_leased
from pilothouse.core.models import utcnow
from pilothouse.core.runtime import Runtime

__all__ = [
    "Claim",
    "claim_due",
    "check_site",
    "check_now",
    "record_check",
    "run_due",
    "run_scheduler",
]

logger = logging.getLogger("pilothouse.onepilot.monitor")

LEASE = "onepilot-monitor"
# Certificates this close to expiry are reported (1Pilot reminds before expiry).
SSL_WARNING_DAYS = 14
# Checks older than the longest uptime window are deleted.
KEEP_CHECKS_DAYS = 31
CLAIM_BATCH = 500


@dataclass(frozen=True, slots=True)
class Claim:
    site_id: int
    check: bool
    agent: bool


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    keyword: str | None


def _check_url(site: Site) -> str:
    return site.url.rstrip("/") + site.check_path


def claim_due(runtime: Runtime, *, exclude: Collection[int] = ()) -> list[Claim]:
    """Sites whose check or agent call is due; their next times are moved on at once."""
    now = utcnow()
    agent_every = timedelta(seconds=runtime.settings.monitor_agent_interval_seconds)
    check_due = or_(Site.next_check_at.is_(None), Site.next_check_at <= now)
    agent_due = Site.agent_enabled & or_(Site.next_agent_at.is_(None), Site.next_agent_at <= now)
    claims = []
    with session_scope(runtime.sessions) as session:
        stmt = select(Site).where(or_(check_due, agent_due)).order_by(Site.id).limit(CLAIM_BATCH)
        for site in session.scalars(stmt):
            if site.id in exclude:
                continue
            check = site.next_check_at is None or site.next_check_at <= now
            agent = site.agent_enabled and (site.next_agent_at is None or site.next_agent_at <= now)
            if check:
                site.next_check_at = now + timedelta(minutes=site.interval_minutes)
            if agent:
                site.next_agent_at = now + agent_every
            claims.append(Claim(site.id, check, agent))
    return claims


def _load_target(runtime: Runtime, site_id: int) -> Target | None:
    with session_scope(runtime.sessions) as session:
        site = session.get(Site, site_id)
        return Target(_check_url(site), site.keyword) if site is not None else None


async def check_site(runtime: Runtime, site_id: int) -> CheckResult | None:
    """Check one site now and record the result; None when the site no longer exists."""
    target = await asyncio.to_thread(_load_target, runtime, site_id)
    if target is None:
        return None
    settings = runtime.settings
    result = await probe(
        target.url,
        keyword=target.keyword,
        timeout=settings.monitor_timeout_seconds,
        context=ssl_context(settings.monitor_ca_file),
    )
    await asyncio.to_thread(_save, runtime, site_id, result)
    return result


def _agent_enabled(runtime: Runtime, principal: Principal, site_id: int) -> bool | None:
    with session_scope(runtime.sessions) as session:
        site = service.get_site(session, principal, site_id)
        return None if site is None else site.agent_enabled


def _site_body(runtime: Runtime, principal: Principal, site_id: int) -> dict[str, Any] | None:
    with session_scope(runtime.sessions) as session:
        site = service.get_site(session, principal, site_id)
        if site is None:
            return None
        return service.site_body(session, site)


def _check_out(result: CheckResult) -> dict[str, Any]:
    certificate = result.certificate
    return {
        "checked_at": iso(result.checked_at),
        "ok": result.ok,
        "status_code": result.status_code,
        "response_ms": result.response_ms,
        "error": result.error,
        "ssl": None
        if certificate is None
        else {
            "valid": certificate.verified and certificate.expires_at > result.checked_at,
            "issuer": certificate.issuer,
            "expires_at": iso(certificate.expires_at),
        },
    }


async def check_now(runtime: Runtime, principal: Principal, site_id: int) -> dict[str, Any] | None:
    """Check one of the organization's sites now (and ask its agent): results and the site."""
    agent_enabled = await asyncio.to_thread(_agent_enabled, runtime, principal, site_id)
    if agent_enabled is None:
        return None
    result = await check_site(runtime, site_id)
    agent = await sync_agent(runtime, site_id) if agent_enabled else None
    site = await asyncio.to_thread(_site_body, runtime, principal, site_id)
    if result is None or site is None:
        return None  # deleted meanwhile
    agent_out = None if agent is None else {"ok": agent.ok, "error": agent.error}
    return _check_out(result) | {"agent": agent_out, "site": site}


def _save(runtime: Runtime, site_id: int, result: CheckResult) -> None:
    with session_scope(runtime.sessions) as session:
        site = session.get(Site, site_id, with_for_update=True)
        if site is not None:
            record_check(session, site, result)


def record_check(session: Session, site: Site, result: CheckResult) -> None:
    """Store a check and move the site's status, certificate and logs accordingly."""
    session.add(
        SiteCheck(
            organization_id=site.organization_id,
            site_id=site.id,
            checked_at=result.checked_at,
            ok=result.ok,
            status_code=result.status_code,
            response_ms=result.response_ms,
            error=(result.error or "")[:255] or None,
        )
    )
    site.last_check_at = result.checked_at
    if result.ip:
        site.server_ip = result.ip
    _move_status(session, site, result)
    if result.certificate is not None:
        _move_certificate(session, site, result.certificate, result.checked_at)
    session.flush()
    service.store_uptime(session, site)


def _move_status(session: Session, site: Site, result: CheckResult) -> None:
    if result.ok:
        site.consecutive_failures = 0
        if site.status == "Down":
            _log(session, site, "site_up", f"{site.name} is up again.")
        site.status = "Ok"
        return
    site.consecutive_failures += 1
    if site.consecutive_failures >= site.failure_threshold and site.status != "Down":
        site.status = "Down"
        _log(session, site, "site_down", f"{site.name} is down: {result.error}.")


def _certificate_state(certificate: Certificate, now: datetime) -> str:
    if certificate.expires_at <= now:
        return "expired"
    if certificate.expires_at - now <= timedelta(days=SSL_WARNING_DAYS):
        return "expiring"
    return "ok"


def _move_certificate(
    session: Session, site: Site, certificate: Certificate, now: datetime
) -> None:
    state = _certificate_state(certificate, now)
    expires = iso(certificate.expires_at)
    previous = site.ssl_expires_at
    if previous is not None and certificate.expires_at > previous:
        _log(session, site, "ssl_renewed", f"SSL certificate renewed, valid until {expires}.")
    elif state != site.ssl_state and state == "expiring":
        days = (certificate.expires_at - now).days
        _log(session, site, "ssl_expiring", f"SSL certificate expires in {days} days ({expires}).")
    elif state != site.ssl_state and state == "expired":
        _log(session, site, "ssl_expired", f"SSL certificate expired on {expires}.")
    site.ssl_state = state
    site.ssl_expires_at = certificate.expires_at
    site.ssl_issuer = certificate.issuer
    site.ssl_verified = certificate.verified


def _log(session: Session, site: Site, type: str, message: str) -> None:
    service.add_log(session, site, category="monitor", type=type, message=message)


def _prune(runtime: Runtime) -> None:
    cutoff = utcnow() - timedelta(days=KEEP_CHECKS_DAYS)
    with session_scope(runtime.sessions) as session:
        session.execute(delete(SiteCheck).where(SiteCheck.checked_at < cutoff))


class _Scheduler:
    """Starts a task per due site (bounded by a semaphore) and remembers which are running."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.limit = asyncio.Semaphore(max(1, runtime.settings.monitor_concurrency))
        self.running: dict[int, asyncio.Task[None]] = {}
        self.pruned_at: datetime | None = None

    async def start_due(self) -> list[asyncio.Task[None]]:
        await self.prune()
        claims = await asyncio.to_thread(claim_due, self.runtime, exclude=set(self.running))
        return [self.start(claim) for claim in claims]

    async def check_due(self) -> None:
        await asyncio.gather(*await self.start_due())

    def start(self, claim: Claim) -> asyncio.Task[None]:
        task = asyncio.create_task(self.work(claim), name=f"onepilot-site-{claim.site_id}")
        self.running[claim.site_id] = task
        task.add_done_callback(lambda _t: self.running.pop(claim.site_id, None))
        return task

    async def work(self, claim: Claim) -> None:
        async with self.limit:
            try:
                if claim.check:
                    await check_site(self.runtime, claim.site_id)
                if claim.agent:
                    await sync_agent(self.runtime, claim.site_id)
            except Exception:
                logger.exception("monitoring site %s failed", claim.site_id)

    async def prune(self) -> None:
        now = utcnow()
        if self.pruned_at is None or now - self.pruned_at > timedelta(hours=1):
            self.pruned_at = now
            await asyncio.to_thread(_prune, self.runtime)

    def stop(self) -> None:
        for task in list(self.running.values()):
            task.cancel()


def _lease_ttl(runtime: Runtime) -> float:
    return max(60.0, 4 * runtime.settings.monitor_tick_seconds)


async def run_due(runtime: Runtime) -> None:
    """One scheduler pass, if this process can hold the lease: check what is due and wait."""
    scheduler = _Scheduler(runtime)
    try:
        await run_leased(
            runtime.engine, LEASE, scheduler.check_due, every=0, ttl=_lease_ttl(runtime), rounds=1
        )
    finally:
        scheduler.stop()


async def run_scheduler(runtime: Runtime) -> None:
    """The monitoring loop for the life of the server (a no-op when monitoring is disabled)."""
    if not runtime.settings.monitor_enabled:
        return
    scheduler = _Scheduler(runtime)
    try:
        await run_leased(
            runtime.engine,
            LEASE,
            scheduler.start_due,
            every=runtime.settings.monitor_tick_seconds,
            ttl=_lease_ttl(runtime),
        )
    finally:
        scheduler.stop()
