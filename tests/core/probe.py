"""A small app built only from the core, to test the core without any product app."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.routing import Mount

from pilothouse.core.accounts.models import ApiToken
from pilothouse.core.app import AppSpec, build_app
from pilothouse.core.auth import DbSession, Principal, require
from pilothouse.core.errors import ApiError, NotFound, ValidationFailed
from pilothouse.core.middleware import RequestMiddleware
from pilothouse.core.pagination import (
    JsonApiPageParams,
    LaravelPageParams,
    SkipSizeParams,
    jsonapi_page,
    laravel_page,
    paginate,
    skip_size_page,
)
from pilothouse.core.routing import ApiRoute
from pilothouse.core.runtime import Runtime
from pilothouse.core.scoping import get_scoped, scoped

Reader = Annotated[Principal, Depends(require())]
Writer = Annotated[Principal, Depends(require(scopes={"write"}))]

router = APIRouter(route_class=ApiRoute)


class Thing(BaseModel):
    name: str = Field(max_length=10)
    size: int


def _tokens(principal: Principal):  # type: ignore[no-untyped-def]
    return scoped(select(ApiToken), principal).order_by(ApiToken.id)


@router.get("/whoami", tags=["probe"])
def whoami(principal: Reader) -> dict[str, Any]:
    """Who the caller is."""
    return {
        "user_id": principal.user_id,
        "organization_id": principal.organization_id,
        "scopes": sorted(principal.scopes),
        "token_id": principal.token_id,
    }


@router.post("/things", tags=["probe"])
def create_thing(thing: Thing, _principal: Writer) -> dict[str, Any]:
    """Echo a validated body (write scope)."""
    return thing.model_dump()


@router.get("/tokens/{token_id}", tags=["probe"])
def get_token(token_id: int, principal: Reader, session: DbSession) -> dict[str, Any]:
    """One token of the caller's organization."""
    token = get_scoped(session, ApiToken, token_id, principal)
    if token is None:
        raise NotFound()
    return {"id": token.id}


@router.get("/laravel", tags=["probe"])
def laravel(
    request: Request, params: LaravelPageParams, principal: Reader, session: DbSession
) -> dict[str, Any]:
    """Tokens, Laravel pages."""
    page = paginate(session, _tokens(principal), params)
    return laravel_page(request, page, [{"id": t.id} for t in page.items])


@router.get("/skip", tags=["probe"])
def skip(params: SkipSizeParams, principal: Reader, session: DbSession) -> dict[str, Any]:
    """Tokens, skip/size."""
    page = paginate(session, _tokens(principal), params)
    return skip_size_page(page, [{"id": t.id} for t in page.items])


@router.get("/jsonapi", tags=["probe"])
def jsonapi(
    request: Request, params: JsonApiPageParams, principal: Reader, session: DbSession
) -> dict[str, Any]:
    """Tokens, JSON:API pages."""
    page = paginate(session, _tokens(principal), params)
    return jsonapi_page(request, page, [{"id": t.id} for t in page.items])


@router.get("/boom", tags=["probe"])
def boom() -> None:
    """Crash."""
    raise RuntimeError("secret internals: password=hunter2")


def render(error: ApiError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"code": error.code, "message": error.message}}
    if isinstance(error, ValidationFailed):
        body["error"]["details"] = error.details
    return body


spec = AppSpec(
    name="probe",
    prefix="/probe",
    title="Probe",
    router=router,
    render_error=render,
    auth_schemes=("bearer", "apitoken", "basic"),
    www_authenticate='Bearer realm="probe"',
)


def probe_server(runtime: Runtime, app_spec: AppSpec = spec) -> Starlette:
    """The probe app mounted the way the server mounts apps."""
    server = Starlette(routes=[Mount(app_spec.prefix, app=build_app(app_spec, runtime))])
    server.add_middleware(RequestMiddleware, log=True)
    return server
