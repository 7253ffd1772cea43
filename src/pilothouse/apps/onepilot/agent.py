"""The 1Pilot agent protocol, dashboard side: ask a site's agent what runs there.

Pilothouse POSTs `<site url>/onepilot/validate` with two headers, as 1Pilot does: `stamp`, the
unix time, and `hash`, hex HMAC-SHA256 of the stamp keyed with the site's private key (the
agent's ONEPILOT_PRIVATE_KEY; it accepts stamps within ±360 s). The answer's `core`, `servers`
and `plugins` fill the site's `server{}`, `core`, `updates_count`, `packages_count` and its
packages; what changed is logged (category "client"). A bad signature, an error or garbage
leaves the last good data in place and logs the failure once, until the agent answers again.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.apps.onepilot import service
from pilothouse.apps.onepilot.models import Package, Site
from pilothouse.apps.onepilot.probes import ssl_context
from pilothouse.core.db import session_scope
from pilothouse.core.models import utcnow
from pilothouse.core.runtime import Runtime
from pilothouse.core.secrets import SecretUnreadable

__all__ = ["AgentError", "ValidateAnswer", "sign", "call_agent", "record_answer", "sync_agent"]

VALIDATE_PATH = "/onepilot/validate"
MAX_ANSWER_BYTES = 5_000_000
MAX_REDIRECTS = 3
USER_AGENT = "Pilothouse/1.0 (1Pilot-compatible dashboard)"


class AgentError(Exception):
    """The agent could not be reached, refused us, or answered something unusable."""


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class AgentCore(_Lenient):
    version: str | None = Field(default=None, max_length=100)
    new_version: str | None = Field(default=None, max_length=100)
    last_available_version: str | None = Field(default=None, max_length=100)


class AgentServers(_Lenient):
    php: str | None = Field(default=None, max_length=255)
    web: str | None = Field(default=None, max_length=255)
    mysql: str | None = Field(default=None, max_length=255)


class AgentPlugin(_Lenient):
    code: str = Field(min_length=1, max_length=255)
    name: str | None = Field(default=None, max_length=255)
    type: str = Field(default="package", max_length=50)
    active: bool = True
    version: str | None = Field(default=None, max_length=100)
    new_version: str | None = Field(default=None, max_length=100)
    last_available_version: str | None = Field(default=None, max_length=100)

    @property
    def available(self) -> str | None:
        """The newest compatible version, when it differs from the installed one."""
        return self.new_version if self.new_version and self.new_version != self.version else None


class ValidateAnswer(_Lenient):
    core: AgentCore | None = None
    servers: AgentServers | None = None
    plugins: list[AgentPlugin] = Field(default_factory=list, max_length=10_000)


@dataclass(frozen=True, slots=True)
class AgentOutcome:
    ok: bool
    error: str | None = None


def sign(private_key: str, stamp: int) -> str:
    """The `hash` header: hex HMAC-SHA256 of the stamp, keyed with the private key."""
    return hmac.new(private_key.encode(), str(stamp).encode(), hashlib.sha256).hexdigest()


def _same_host_redirect(url: str, response: httpx.Response) -> str | None:
    # Follow a redirect (http → https, a trailing slash) only on the site's own host: the
    # signed headers go to no one else.
    location = response.headers.get("location")
    if not response.is_redirect or not location:
        return None
    target = urljoin(url, location)
    return target if urlsplit(target).hostname == urlsplit(url).hostname else None


async def _read(response: httpx.Response) -> bytes:
    if response.status_code != 200:
        raise AgentError(f"the agent answered HTTP {response.status_code}")
    body = b""
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise AgentError("the agent's answer is too large")
    return body


async def _post(
    url: str, headers: dict[str, str], timeout: float, context: ssl.SSLContext
) -> bytes:
    async with httpx.AsyncClient(verify=context, timeout=timeout, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            async with client.stream("POST", url, headers=headers) as response:
                target = _same_host_redirect(url, response)
                if target is None:
                    return await _read(response)
            url = target
    raise AgentError(f"the agent redirected more than {MAX_REDIRECTS} times")


async def call_agent(
    site_url: str, private_key: str, *, timeout: float, context: ssl.SSLContext
) -> ValidateAnswer:
    """Call the agent's `onepilot/validate`, signed; its parsed answer or AgentError."""
    stamp = int(time.time())
    headers = {
        "hash": sign(private_key, stamp),
        "stamp": str(stamp),
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }
    try:
        async with asyncio.timeout(timeout):
            body = await _post(site_url.rstrip("/") + VALIDATE_PATH, headers, timeout, context)
    except (httpx.HTTPError, TimeoutError, OSError) as error:
        raise AgentError(f"the agent could not be reached ({type(error).__name__})") from None
    try:
        return ValidateAnswer.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        raise AgentError("the agent's answer is not a valid validate response") from None


def _log(session: Session, site: Site, type: str, message: str) -> None:
    service.add_log(session, site, category="client", type=type, message=message)


def _diff(
    session: Session, site: Site, label: str, before: tuple[Any, Any], after: AgentPlugin
) -> None:
    version, available = before
    if after.version and version and after.version != version:
        _log(session, site, "updated_extension", f"{label} updated to {after.version}")
    if after.available and after.available != available:
        message = f"{label} can be updated to {after.available}"
        _log(session, site, "update_extension_available", message)


def _record_plugins(session: Session, site: Site, plugins: list[AgentPlugin], first: bool) -> None:
    stored = {p.code: p for p in session.scalars(select(Package).where(Package.site_id == site.id))}
    seen: set[str] = set()
    for plugin in plugins:
        if plugin.code in seen:
            continue
        seen.add(plugin.code)
        name = plugin.name or plugin.code
        row = stored.pop(plugin.code, None)
        if row is not None and not first:
            previous = row.new_version if row.new_version != row.version else None
            _diff(session, site, f"Extension {name}", (row.version, previous), plugin)
        if row is None:
            row = Package(organization_id=site.organization_id, site_id=site.id, code=plugin.code)
            if not first:
                _log(
                    session, site, "new_extension", f"Extension {name} installed ({plugin.version})"
                )
            session.add(row)
        row.name, row.type, row.active = name, plugin.type, plugin.active
        row.version, row.new_version = plugin.version, plugin.new_version
        row.last_available_version = plugin.last_available_version
    for gone in stored.values():
        session.delete(gone)
    site.packages_count = len(seen)
    site.updates_count = sum(1 for p in plugins if p.available) + (
        1 if site.core_new_version and site.core_new_version != site.core_version else 0
    )


def _record_core(session: Session, site: Site, core: AgentCore | None, first: bool) -> None:
    if core is None:
        return
    if not first:
        available = site.core_new_version if site.core_new_version != site.core_version else None
        as_plugin = AgentPlugin(code="core", version=core.version, new_version=core.new_version)
        _diff(session, site, "Core", (site.core_version, available), as_plugin)
    site.core_version, site.core_new_version = core.version, core.new_version
    site.core_last_available_version = core.last_available_version


def record_answer(session: Session, site: Site, answer: ValidateAnswer) -> None:
    """Store what the agent reported and log what changed since its last good answer."""
    first = site.agent_checked_at is None
    if answer.servers is not None:
        site.server_php = answer.servers.php
        site.server_web = answer.servers.web
        site.server_mysql = answer.servers.mysql
    _record_core(session, site, answer.core, first)
    _record_plugins(session, site, answer.plugins, first)
    site.agent_ok, site.agent_checked_at = True, utcnow()
    session.flush()


def record_failure(session: Session, site: Site, error: str) -> None:
    """Keep the last good data; log the failure when the agent was not already failing."""
    if site.agent_ok is not False:
        _log(session, site, "agent_error", f"The 1Pilot agent check failed: {error}.")
    site.agent_ok = False
    session.flush()


def _target(runtime: Runtime, site_id: int) -> tuple[str, str | None] | None:
    with session_scope(runtime.sessions) as session:
        site = session.get(Site, site_id)
        if site is None:
            return None
        try:
            return site.url, runtime.secrets.open(site.private_key_sealed)
        except SecretUnreadable:
            return site.url, None


def _save(runtime: Runtime, site_id: int, answer: ValidateAnswer | None, error: str) -> None:
    with session_scope(runtime.sessions) as session:
        site = session.get(Site, site_id, with_for_update=True)
        if site is None:
            return
        if answer is not None:
            record_answer(session, site, answer)
        else:
            record_failure(session, site, error)


async def sync_agent(runtime: Runtime, site_id: int) -> AgentOutcome | None:
    """Ask one site's agent now and store the answer; None when the site no longer exists."""
    target = await asyncio.to_thread(_target, runtime, site_id)
    if target is None:
        return None
    url, key = target
    answer, error = None, "the stored private key cannot be read"
    if key is not None:
        settings = runtime.settings
        try:
            answer = await call_agent(
                url,
                key,
                timeout=settings.monitor_timeout_seconds,
                context=ssl_context(settings.monitor_ca_file),
            )
        except AgentError as failure:
            error = str(failure)
    await asyncio.to_thread(_save, runtime, site_id, answer, error)
    return AgentOutcome(ok=answer is not None, error=None if answer else error)
