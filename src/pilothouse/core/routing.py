"""Routes whose plain `def` handlers run without a thread hop when the database allows it.

FastAPI runs a `def` handler in the threadpool, and then its response validation in the
threadpool again: two hops of ~100 µs each here, more than the whole handler costs on SQLite.
`ApiRoute` wraps such a handler in a coroutine that calls it through `Runtime.db`: inline on
the event loop for SQLite (local, microseconds), in the threadpool for PostgreSQL. Handlers
stay plain functions that call plain services. A dict or list they return is rendered once,
by the fast JSON response; the return annotation still documents the route. A parameter
annotated `RuntimeDep` receives the process Runtime directly (no dependency to solve).

    router = APIRouter(route_class=ApiRoute)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute

from pilothouse.core.auth import RuntimeDep
from pilothouse.core.json import JSONResponse
from pilothouse.core.runtime import Runtime

__all__ = ["ApiRoute", "operation_id"]

_REQUEST = "pilothouse_request__"


def _direct(endpoint: Callable[..., Any], status_code: int) -> Callable[..., Any]:
    """`endpoint` as a coroutine that runs a plain `def` through `Runtime.db` and renders a
    dict or list with the fast JSON response itself (FastAPI would first validate it against
    the return annotation and walk it through `jsonable_encoder`)."""
    signature = inspect.signature(endpoint, eval_str=True)
    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()]
    # The process Runtime is handed over here, not solved by FastAPI as a dependency per request.
    runtimes = [p.name for p in params if p.annotation == RuntimeDep]
    params = [p for p in params if p.name not in runtimes]
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
    return handler


def operation_id(route: APIRoute) -> str:
    """`<tag>-<handler name>`: stable operation ids for the OpenAPI document."""
    tag = route.tags[0] if route.tags else "api"
    return f"{tag}-{route.name}"


class ApiRoute(APIRoute):
    """An APIRoute whose sync handler runs through the runtime's database executor, named in
    the OpenAPI document by `operation_id`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        endpoint = _direct(endpoint, kwargs.get("status_code") or 200)
        kwargs["generate_unique_id_function"] = operation_id
        super().__init__(path, endpoint, **kwargs)
