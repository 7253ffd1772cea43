"""Builds the ASGI application: core middleware, health check, and the enabled apps."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from sqlalchemy import MetaData
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from pilothouse.apps import APP_MODULES
from pilothouse.core.app import AppSpec, build_app
from pilothouse.core.db import check_database
from pilothouse.core.json import JSONResponse
from pilothouse.core.middleware import RequestMiddleware
from pilothouse.core.models import Base
from pilothouse.core.runtime import Runtime
from pilothouse.core.webhooks.worker import run_deliveries
from pilothouse.settings import Settings, get_settings

__all__ = ["load_models", "load_specs", "create_app"]

logger = logging.getLogger("pilothouse")


def load_specs() -> dict[str, AppSpec]:
    """Every app's spec, by name."""
    return {name: importlib.import_module(path).spec for name, path in APP_MODULES.items()}


def load_models() -> MetaData:
    """The metadata of every table: the core's and every app's."""
    importlib.import_module("pilothouse.core.accounts.models")
    importlib.import_module("pilothouse.core.webhooks.models")
    importlib.import_module("pilothouse.core.leases")
    for path in APP_MODULES.values():
        importlib.import_module(f"{path}.models")
    return Base.metadata


def _health(runtime: Runtime):  # type: ignore[no-untyped-def]
    async def healthz(_request: Request) -> Response:
        """Whether the server can reach its database."""
        try:
            await run_in_threadpool(check_database, runtime.engine)
        except SQLAlchemyError:
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return healthz


async def _not_found(_request: Request, _exc: Exception) -> Response:
    return JSONResponse({"message": "Not Found"}, status_code=404)


async def _index(request: Request) -> Response:
    specs = request.app.state.specs
    return JSONResponse(
        {
            "name": "Pilothouse",
            "apps": {s.name: {"base": s.prefix, "docs": f"{s.prefix}/docs"} for s in specs},
        }
    )


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Starlette:
    """The server: all apps under their prefixes, or one app at "/" (`settings.single_app`)."""
    settings = settings or get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    # One line per request: skip what the format never shows (the logging HOWTO's
    # "Optimization"): the caller's frame, thread, process and multiprocessing names.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    runtime = runtime or Runtime.from_settings(settings)
    specs = load_specs()
    if settings.single_app and settings.single_app not in specs:
        raise ValueError(f"unknown app {settings.single_app!r}; choose from {', '.join(specs)}")
    chosen = [specs[settings.single_app]] if settings.single_app else list(specs.values())

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = [
            asyncio.create_task(start(runtime), name=f"{spec.name}-{start.__name__}")
            for spec in chosen
            for start in spec.background
        ]
        if settings.webhooks_enabled:
            tasks.append(asyncio.create_task(run_deliveries(runtime), name="webhooks"))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await runtime.aclose()

    routes: list[Route | Mount] = [Route("/healthz", _health(runtime))]
    if settings.single_app:
        app_asgi: FastAPI = build_app(chosen[0], runtime)
        routes.append(Mount(chosen[0].native_prefix or "/", app=app_asgi))
    else:
        routes.append(Route("/", _index))
        routes += [Mount(spec.prefix, app=build_app(spec, runtime)) for spec in chosen]
    server = Starlette(routes=routes, lifespan=lifespan)
    server.state.runtime = runtime
    server.state.specs = chosen
    server.add_exception_handler(404, _not_found)
    server.add_middleware(RequestMiddleware, log=settings.access_log)
    return server
