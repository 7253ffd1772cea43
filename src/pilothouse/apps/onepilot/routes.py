"""1Pilot REST API v1 routes: HTTP only — parse, call the service, render."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from pilothouse.apps.onepilot import monitor, service
from pilothouse.apps.onepilot.auth import Reader, Writer
from pilothouse.apps.onepilot.models import Site
from pilothouse.apps.onepilot.schemas import (
    PrivateKeyChange,
    SiteCreate,
    SiteUpdate,
    TagCreate,
    log_out,
    package_out,
    parse_moment,
    tag_out,
)
from pilothouse.core.auth import DbSession, RuntimeDep
from pilothouse.core.errors import NotFound
from pilothouse.core.json import JSONResponse
from pilothouse.core.pagination import LaravelPageParams, Page, laravel_page
from pilothouse.core.routing import ApiRoute

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute)
Filter = Annotated[str | None, Query()]


async def log_filter(
    type: Filter = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: Filter = None,
) -> service.LogFilter:
    """`?type=&from=&to=` of both log lists (async: parsing needs no thread)."""
    return service.LogFilter(
        type=type, since=parse_moment("from", from_), until=parse_moment("to", to, end=True)
    )


LogQuery = Annotated[service.LogFilter, Depends(log_filter)]


def _sites_page(session: Session, request: Request, page: Page[Site]) -> dict[str, Any]:
    return laravel_page(request, page, service.site_bodies(session, page.items))


def _one_site(session: Session, site: Site, *, private_key: str | None = None) -> dict[str, Any]:
    return {"data": service.site_body(session, site, private_key=private_key)}


def _found(site: Site | None) -> Site:
    if site is None:
        raise NotFound()
    return site


@router.get("/ping", tags=["ping"])
async def ping(_principal: Reader) -> dict[str, Any]:
    """Test that you are correctly authenticated."""
    # async: no database work, so no thread on any database.
    return {"message": "pong"}


@router.get("/sites", tags=["sites"])
def list_sites(
    request: Request,
    session: DbSession,
    principal: Reader,
    page: LaravelPageParams,
    tag: Filter = None,
    search: Filter = None,
    status: Filter = None,
) -> dict[str, Any]:
    """List your sites, 15 per page; filter by tag (id or name), search (name, URL) and status."""
    found = service.list_sites(session, principal, page, tag=tag, search=search, status=status)
    return _sites_page(session, request, found)


@router.post("/sites", tags=["sites"], status_code=201)
def create_site(
    body: SiteCreate, session: DbSession, principal: Writer, runtime: RuntimeDep
) -> JSONResponse:
    """Add a site; the answer shows its agent private key, this once."""
    site, key = service.create_site(session, principal, body, secrets_box=runtime.secrets)
    return JSONResponse(_one_site(session, site, private_key=key), status_code=201)


@router.get("/sites/{site_id:int}", tags=["sites"])
async def get_site(site_id: int, principal: Reader, runtime: RuntimeDep) -> dict[str, Any]:
    """One site."""
    # async: its prepared reads are awaited on the loop, no thread on any database.
    site = await service.read_site(runtime.reads, principal, site_id)
    if site is None:
        raise NotFound()
    return {"data": site}


@router.patch("/sites/{site_id:int}", tags=["sites"])
def update_site(
    site_id: int, body: SiteUpdate, session: DbSession, principal: Writer
) -> dict[str, Any]:
    """Change a site's fields, tags or monitoring settings."""
    return _one_site(session, _found(service.update_site(session, principal, site_id, body)))


@router.delete("/sites/{site_id:int}", tags=["sites"])
def delete_site(site_id: int, session: DbSession, principal: Writer) -> Response:
    """Delete a site with its logs, checks and packages (200, empty body)."""
    if not service.delete_site(session, principal, site_id):
        raise NotFound()
    return Response(status_code=200)


@router.post("/sites/{site_id:int}/private-key", tags=["sites"])
def rotate_private_key(
    site_id: int,
    session: DbSession,
    principal: Writer,
    runtime: RuntimeDep,
    body: PrivateKeyChange | None = None,
) -> dict[str, Any]:
    """Replace the site's agent private key (a new random one, or the one given); shown once."""
    key = body.private_key if body is not None else None
    rotated = service.rotate_private_key(
        session, principal, site_id, secrets_box=runtime.secrets, key=key
    )
    if rotated is None:
        raise NotFound()
    return _one_site(session, rotated[0], private_key=rotated[1])


@router.post("/sites/{site_id:int}/check", tags=["sites"])
async def check_site(site_id: int, principal: Writer, runtime: RuntimeDep) -> dict[str, Any]:
    """Run an uptime and SSL check now; answers the check's result and the updated site."""
    outcome = await monitor.check_now(runtime, principal, site_id)
    if outcome is None:
        raise NotFound()
    return {"data": outcome}


@router.get("/sites/{site_id:int}/logs", tags=["logs"])
def list_site_logs(
    site_id: int,
    request: Request,
    session: DbSession,
    principal: Reader,
    page: LaravelPageParams,
    where: LogQuery,
) -> dict[str, Any]:
    """A site's events, newest first; filter by type and period (from, to)."""
    site = _found(service.get_site(session, principal, site_id))
    found = service.list_logs(session, principal, page, where=replace(where, site_id=site.id))
    return laravel_page(request, found, [log_out(log) for log in found.items])


@router.get("/sites/{site_id:int}/packages", tags=["sites"])
def list_packages(
    site_id: int, request: Request, session: DbSession, principal: Reader, page: LaravelPageParams
) -> dict[str, Any]:
    """The packages the site's agent last reported, with installed and available versions."""
    site = _found(service.get_site(session, principal, site_id))
    found = service.list_packages(session, principal, site, page)
    return laravel_page(request, found, [package_out(p) for p in found.items])


@router.get("/logs", tags=["logs"])
def list_logs(
    request: Request,
    session: DbSession,
    principal: Reader,
    page: LaravelPageParams,
    where: LogQuery,
) -> dict[str, Any]:
    """Events from all your sites, newest first; filter by type and period (from, to)."""
    found = service.list_logs(session, principal, page, where=where)
    return laravel_page(request, found, [log_out(log) for log in found.items])


@router.get("/tags", tags=["tags"])
def list_tags(
    request: Request, session: DbSession, principal: Reader, page: LaravelPageParams
) -> dict[str, Any]:
    """List your tags, 15 per page."""
    found = service.list_tags(session, principal, page)
    return laravel_page(request, found, [tag_out(tag) for tag in found.items])


@router.post("/tags", tags=["tags"])
def create_tag(body: TagCreate, session: DbSession, principal: Writer) -> dict[str, Any]:
    """Create a tag (answers 200, as documented)."""
    return {"data": tag_out(service.create_tag(session, principal, name=body.name))}


@router.delete("/tags/{tag_id:int}", tags=["tags"])
def delete_tag(tag_id: int, session: DbSession, principal: Writer) -> Response:
    """Delete a tag (200, empty body)."""
    if not service.delete_tag(session, principal, tag_id):
        raise NotFound()
    return Response(status_code=200)


@router.post("/tags/{tag_id:int}", tags=["tags"])
def delete_tag_by_post(tag_id: int, session: DbSession, principal: Writer) -> Response:
    """Delete a tag, as the documentation's heading spells it (POST; 200, empty body)."""
    return delete_tag(tag_id, session, principal)
