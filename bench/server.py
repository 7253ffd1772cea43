"""The server under benchmark: the production app plus two reference routes, in one process.

    python bench/server.py PORT

The baseline is what the issue asks to compare with: a bare Starlette endpoint that looks the
token's hash up and reads one row with the standard library's sqlite3, no framework around it.
"Plain FastAPI" does exactly the same inside a mounted FastAPI app (as every Pilothouse app
is mounted): the framework's own cost per request, with no auth, limits or ORM of ours.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys

import uvicorn
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from pilothouse.server import create_app
from pilothouse.settings import get_settings


def _reader():  # type: ignore[no-untyped-def]
    settings = get_settings()
    connection = sqlite3.connect(settings.data_dir / "pilothouse.db", check_same_thread=False)

    async def read(request: Request) -> Response:
        header = request.headers.get("authorization", "")
        secret = header.removeprefix("Bearer ")
        token = connection.execute(
            "SELECT organization_id, revoked FROM api_tokens WHERE token_hash = ?",
            (hashlib.sha256(secret.encode()).hexdigest(),),
        ).fetchone()
        if token is None or token[1]:
            return JSONResponse({"message": "Unauthenticated."}, status_code=401)
        row_id = int(request.path_params["row_id"])
        row = connection.execute(
            "SELECT id, name, url, notes, created_at FROM onepilot_sites "
            "WHERE id = ? AND organization_id = ?",
            (row_id, token[0]),
        ).fetchone()
        if row is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        keys = ("id", "name", "url", "notes", "created_at")
        return JSONResponse({"data": dict(zip(keys, row, strict=True))})

    return read


def baseline_app():  # type: ignore[no-untyped-def]
    return Route("/baseline/sites/{row_id:int}", _reader())


def plain_fastapi_app():  # type: ignore[no-untyped-def]
    read = _reader()
    app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})

    @app.get("/sites/{row_id}")
    async def site(row_id: int, request: Request) -> Response:
        return await read(request)

    return Mount("/fastapi", app=app)


def main() -> None:
    app = create_app()
    app.router.routes[0:0] = [baseline_app(), plain_fastapi_app()]
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
