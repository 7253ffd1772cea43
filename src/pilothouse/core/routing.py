"""Routes whose plain `def` handlers run without a thread hop when the database allows it.

FastAPI runs a `def` handler in the threadpool, and then its response validation in the
threadpool again: two hops of ~100 µs each here, more than the whole handler costs on SQLite.
`ApiRoute` wraps such a handler in a coroutine that calls it through `Runtime.db`: inline on
the event loop for SQLite (local, microseconds), in the threadpool for PostgreSQL. Handlers
stay plain functions that call plain services. A dict or list they return is rendered once,
by the fast JSON response; the return annotation still documents the route.

Two parameters are handed over rather than solved by FastAPI per request: `RuntimeDep` (the
process Runtime) and a Principal required with `require(...)` (`Reader`, `Writer`): the route
authenticates first, so a caller without valid credentials gets 401 (or 403) before any
parameter or body is looked at.

    router = APIRouter(route_class=ApiRoute)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from pilothouse.core.auth import RuntimeDep, authorize, required_scopes
from pilothouse.core.json import JSONResponse
from pilothouse.core.runtime import Runtime

__all__ = ["ApiRoute", "operation_id"]

_REQUEST = "pilothouse_request__"
_PRINCIPAL = "principal"


def _direct(
    endpoint: Callable[..., Any], status_code: int
) -> tuple[Callable[..., Any], frozenset[str] | None]:
    """`endpoint` as a coroutine that runs a plain `def` through `Runtime.db` and renders a
    dict or list with the fast JSON response itself (FastAPI would first validate it against
    the return annotation and walk it through `jsonable_encoder`); with the scopes its
    Principal needs (None when it takes none)."""
    signature = inspect.signature(endpoint, eval_str=True)
    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()]
    # The process Runtime is handed over here, not solved by FastAPI as a dependency per request.
    runtimes = [p.name for p in params if p.annotation == RuntimeDep]
    # So is the caller's Principal: the route authenticates before FastAPI reads parameters.
    principals = {
        p.name: needed for p in params if (needed := required_scopes(p.annotation)) is not None
    }
    params = [p for p in params if p.name not in runtimes and p.name not in principals]
    blocking = not inspect.iscoroutinefunction(endpoint)
    # FastAPI injects one Request per handler: reuse the handler's own if it takes one.
    own = next(
        (
            p.name
            for p in params
            if inspect.isclass(p.annotation) and issubclass(p.annotation, Request)
        ),
        None,
    )
    if own is None:
        params.append(
            inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
        )

    async def handler(**kwargs: Any) -> Any:
        request: Request = kwargs[own] if own else kwargs.pop(_REQUEST)
        runtime: Runtime = request.app.state.runtime
        for name in runtimes:
            kwargs[name] = runtime
        for name in principals:
            kwargs[name] = request.scope["state"][_PRINCIPAL]
        if blocking:
            result = await runtime.db(endpoint, **kwargs)
        else:
            result = await endpoint(**kwargs)
        if isinstance(result, dict | list):
            return JSONResponse(result, status_code=status_code)
        return result

    handler.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    handler.__name__ = endpoint.__name__
    handler.__qualname__ = endpoint.__qualname__
    handler.__doc__ = endpoint.__doc__
    handler.__module__ = endpoint.__module__
    needed = frozenset().union(*principals.values()) if principals else None
    return handler, needed


def _authorizing(app: ASGIApp, needed: frozenset[str]) -> ASGIApp:
    """The route's ASGI app, behind authentication: 401/403 come before any parameter is read,
    and the Principal waits in the request's state for the handler."""

    async def authorized(scope: Scope, receive: Receive, send: Send) -> None:
        principal = await authorize(Request(scope, receive), needed)
        scope.setdefault("state", {})[_PRINCIPAL] = principal
        await app(scope, receive, send)

    return authorized


def operation_id(route: APIRoute) -> str:
    """`<tag>-<handler name>`: stable operation ids for the OpenAPI document."""
    tag = route.tags[0] if route.tags else "api"
    return f"{tag}-{route.name}"


class ApiRoute(APIRoute):
    """An APIRoute whose sync handler runs through the runtime's database executor, which
    authenticates before its parameters are read when it takes a Principal, and is named in
    the OpenAPI document by `operation_id`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        endpoint, needed = _direct(endpoint, kwargs.get("status_code") or 200)
        kwargs["generate_unique_id_function"] = operation_id
        super().__init__(path, endpoint, **kwargs)
        # Scopes a caller needs (empty: any valid credential), None for a public route.
        self.auth_scopes = needed
        if needed is not None:
            self.app = _authorizing(self.app, needed)
