"""Credentials → Principal: one parser per header scheme, one indexed read per token.

Schemes an app may accept:
    bearer    Authorization: Bearer <API token or JWT>
    apitoken  Authorization: APIToken <API token>
    basic     Authorization: Basic base64(<API token>:)    (the token as user name, no password)

Routes declare what they need in their signature:

    SitesWrite = Annotated[Principal, Depends(require(scopes={"write"}))]
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Callable, Collection, Coroutine, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import Depends, Request
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from pilothouse.core.accounts.credentials import decode_jwt, hash_token, looks_like_jwt
from pilothouse.core.accounts.lookup import CredentialReader
from pilothouse.core.accounts.models import ApiToken, Plan
from pilothouse.core.errors import Forbidden, RateLimited, Unauthorized
from pilothouse.core.models import utcnow
from pilothouse.core.runtime import Runtime

if TYPE_CHECKING:
    from pilothouse.core.app import AppSpec

__all__ = [
    "Scheme",
    "Principal",
    "read_credential",
    "principal_from_token",
    "principal_from_jwt",
    "touch_token",
    "get_runtime",
    "RuntimeDep",
    "get_session",
    "DbSession",
    "require",
    "authorize",
    "required_scopes",
    "AUTH_MARK",
]

Scheme = Literal["bearer", "apitoken", "basic"]
AUTH_MARK = "__pilothouse_auth__"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    organization_id: int
    scopes: frozenset[str]
    plan: Plan
    token_id: int | None = None  # None when the caller came with a JWT

    def can(self, scope: str) -> bool:
        return scope in self.scopes


def read_credential(header: str | None, schemes: Collection[str]) -> str | None:
    """The secret in an Authorization header, if its scheme is one the app accepts."""
    if not header:
        return None
    kind, _, value = header.strip().partition(" ")
    kind, value = kind.lower(), value.strip()
    if not value or kind not in schemes:
        return None
    if kind != "basic":
        return value
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return user if sep and user and not password else None


async def principal_from_token(
    reader: CredentialReader, secret: str, touch_seconds: int
) -> tuple[Principal, bool] | None:
    """The principal of a live API token (one indexed read), and whether its last-used time is
    older than `touch_seconds` and should be written (with `touch_token`)."""
    row = await reader.token(hash_token(secret))
    if row is None or row.revoked:
        return None
    now = utcnow()
    if row.expires_at is not None and row.expires_at <= now:
        return None
    stale = row.last_used_at is None or now - row.last_used_at > timedelta(seconds=touch_seconds)
    principal = Principal(
        user_id=row.user_id,
        organization_id=row.organization_id,
        scopes=frozenset(row.scopes.split()),
        plan=row.plan,
        token_id=row.id,
    )
    return principal, stale


def touch_token(engine: Engine, token_id: int) -> None:
    """Record that a token was used now, in a transaction of its own: the request's unit of work
    never holds a write (on SQLite, the database's write lock) just because it authenticated."""
    with engine.begin() as connection:
        connection.execute(
            update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow())
        )


async def principal_from_jwt(reader: CredentialReader, secret: str, token: str) -> Principal | None:
    """The principal of a JWT we signed, while its user is still a member of its organization."""
    claims = decode_jwt(secret, token)
    if claims is None:
        return None
    try:
        user_id, organization_id = int(claims["sub"]), int(claims["org"])
    except (TypeError, ValueError):
        return None
    plan = await reader.membership_plan(user_id, organization_id)
    if plan is None:
        return None
    return Principal(
        user_id=user_id,
        organization_id=organization_id,
        scopes=frozenset(str(claims.get("scope", "read")).split()),
        plan=plan,
    )


def get_runtime(request: Request) -> Runtime:
    """The process runtime the server attached to this app."""
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _runtime_dependency(request: Request) -> Runtime:
    # async: FastAPI would run a plain `def` dependency in the threadpool.
    return get_runtime(request)


RuntimeDep = Annotated[Runtime, Depends(_runtime_dependency)]


def _finish(session: Session, ok: bool) -> None:
    try:
        if ok:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: committed when the handler returns, rolled back on error.

    A request first waits (asynchronously) for one of the runtime's database slots, so taking
    a pooled connection never blocks the event loop. Opening a session does no I/O.
    """
    runtime = get_runtime(request)
    async with runtime.request_slots:
        session = runtime.sessions()
        try:
            yield session
        except BaseException:
            await runtime.db(_finish, session, False)
            raise
        await runtime.db(_finish, session, True)


DbSession = Annotated[Session, Depends(get_session, scope="function")]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _count(request: Request, spec: AppSpec, runtime: Runtime, key: str, limit: int) -> None:
    settings = runtime.settings
    if not settings.ratelimit_enabled:
        return
    state = await runtime.limiter.hit(
        f"{spec.name}:{key}", limit=limit, window_seconds=settings.ratelimit_window_seconds
    )
    if spec.ratelimit_headers:
        request.scope.setdefault("state", {})["ratelimit"] = state  # read by the request middleware
    if not state.allowed:
        headers = {"Retry-After": str(state.retry_after)}
        if spec.ratelimit_headers:
            headers.update(state.headers())
        raise RateLimited(headers=headers)


async def _principal(
    runtime: Runtime, spec: AppSpec, credential: str
) -> tuple[Principal, bool] | None:
    reader = runtime.credentials
    if looks_like_jwt(credential) and "bearer" in spec.auth_schemes:
        principal = await principal_from_jwt(reader, runtime.secret, credential)
        return (principal, False) if principal else None
    return await principal_from_token(reader, credential, runtime.settings.token_touch_seconds)


async def _authenticate(request: Request) -> Principal:
    spec: AppSpec = request.app.state.spec
    runtime = get_runtime(request)
    credential = read_credential(request.headers.get("authorization"), spec.auth_schemes)
    found = None
    if credential is not None:
        found = await _principal(runtime, spec, credential)
    if found is None:
        await _count(
            request,
            spec,
            runtime,
            f"ip:{_client_ip(request)}",
            runtime.settings.ratelimit_anonymous,
        )
        raise Unauthorized(headers={"WWW-Authenticate": spec.www_authenticate})
    principal, stale = found
    if stale and principal.token_id is not None:
        # Rare (once a minute per token): always off the loop, as it may wait for a lock.
        await run_in_threadpool(touch_token, runtime.engine, principal.token_id)
    request.scope.setdefault("state", {})["token_id"] = principal.token_id  # for the access log
    limit = spec.limit_for(principal.plan, runtime.settings)
    await _count(
        request, spec, runtime, f"u{principal.user_id}:o{principal.organization_id}", limit
    )
    return principal


def require(*, scopes: Iterable[str] = ()) -> Callable[[Request], Coroutine[None, None, Principal]]:
    """A dependency: the caller's Principal, which must hold every scope in `scopes`.

    It reads through the runtime's CredentialReader, not the request's session: a route that
    needs no database (ping) opens none, and the unit of work holds only the route's own work.
    """
    needed = frozenset(scopes)

    async def dependency(request: Request) -> Principal:
        return await authorize(request, needed)

    setattr(dependency, AUTH_MARK, needed)
    return dependency


async def authorize(request: Request, needed: frozenset[str]) -> Principal:
    """The caller's Principal, which must hold every scope in `needed` (else 401 or 403)."""
    principal = await _authenticate(request)
    if not needed <= principal.scopes:
        raise Forbidden()
    return principal


def required_scopes(annotation: object) -> frozenset[str] | None:
    """The scopes a parameter annotated `Annotated[Principal, Depends(require(...))]` needs,
    or None when the parameter is no such thing."""
    for meta in getattr(annotation, "__metadata__", ()):
        needed = getattr(getattr(meta, "dependency", None), AUTH_MARK, None)
        if needed is not None:
            return frozenset(needed)
    return None
