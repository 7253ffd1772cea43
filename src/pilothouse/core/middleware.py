"""Pure ASGI middleware: one access-log line per request, and rate-limit headers on responses."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestMiddleware"]

access_log = logging.getLogger("pilothouse.access")


class RequestMiddleware:
    """Logs method, path, status, duration and token id (never the token); adds the
    `X-RateLimit-*` headers an app's auth step recorded in the request state."""

    def __init__(self, app: ASGIApp, *, log: bool = True) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method, path = scope["method"], scope.get("root_path", "") + scope["path"]
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                ratelimit = state.get("ratelimit")
                if ratelimit is not None:
                    headers = list(message.get("headers", []))
                    present = {name.lower() for name, _ in headers}
                    headers += [h for h in ratelimit.raw_headers() if h[0] not in present]
                    message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if self.log:
                access_log.info(
                    "%s %s %d %.1fms token=%s",
                    method,
                    path,
                    status,
                    (time.perf_counter() - started) * 1000,
                    state.get("token_id") or "-",
                )
