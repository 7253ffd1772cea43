"""Each app's interactive docs, served with Pilothouse's own copy of Swagger UI (no CDN)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from pilothouse.core.auth import AUTH_MARK, Scheme

__all__ = ["install_docs", "SECURITY_SCHEMES"]

ASSETS = Path(__file__).parent / "static" / "swagger-ui"

SECURITY_SCHEMES: dict[Scheme, dict[str, Any]] = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "API token or JWT."},
    "apitoken": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Type `APIToken <your token>`.",
    },
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "The secret key as user name and an empty password.",
    },
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="{root}/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="{root}/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{root}/docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{url: "{root}/openapi.json", dom_id: "#swagger-ui",
  persistAuthorization: true, deepLinking: true}});
</script></body></html>
"""


def _needs_auth(route: APIRoute) -> bool:
    if getattr(route, "auth_scopes", None) is not None:
        return True  # an ApiRoute that authenticates before its parameters
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if dependant.call is not None and hasattr(dependant.call, AUTH_MARK):
            return True
        pending.extend(dependant.dependencies)
    return False


def install_docs(app: FastAPI, router: APIRouter, schemes: tuple[Scheme, ...]) -> None:
    """`/openapi.json` with the app's auth schemes (the Authorize button) and `/docs`."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schema.setdefault("components", {})["securitySchemes"] = {
                name: SECURITY_SCHEMES[name] for name in schemes
            }
            security: list[dict[str, list[str]]] = [{name: []} for name in schemes]
            for route in router.routes:
                if isinstance(route, APIRoute) and _needs_auth(route):
                    for method in route.methods or ():
                        path = schema["paths"].get(route.path_format, {})
                        operation = path.get(method.lower())
                        if operation is not None:
                            operation["security"] = security
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    async def docs(request: Request) -> HTMLResponse:
        root = html.escape(request.scope.get("root_path", "").rstrip("/"))
        return HTMLResponse(_PAGE.format(title=html.escape(app.title), root=root))

    app.add_route("/docs", docs, include_in_schema=False)
    app.mount("/docs/assets", StaticFiles(directory=ASSETS), name="docs-assets")
