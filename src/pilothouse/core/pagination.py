"""Count and slice one query; render the page as Laravel, skip/size or JSON:API.

page = paginate(session, stmt, number=params.number, size=params.size)
return laravel_page(request, page, [render(x) for x in page.items])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pilothouse.core.errors import ValidationFailed

__all__ = [
    "Page",
    "PageParams",
    "paginate",
    "laravel_params",
    "skip_size_params",
    "jsonapi_params",
    "LaravelPageParams",
    "SkipSizeParams",
    "JsonApiPageParams",
    "laravel_page",
    "skip_size_page",
    "jsonapi_page",
    "absolute_path",
]

T = TypeVar("T")

LARAVEL_PER_PAGE = 15  # seed 000: "per_page": 15
MAX_PAGE_SIZE = 100
MAX_PAGE_NUMBER = 1_000_000


@dataclass(frozen=True, slots=True)
class PageParams:
    number: int  # 1-based
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    number: int
    size: int

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def first_index(self) -> int | None:
        return (self.number - 1) * self.size + 1 if self.items else None

    @property
    def last_index(self) -> int | None:
        return (self.number - 1) * self.size + len(self.items) if self.items else None


def paginate(session: Session, stmt: Select[Any], params: PageParams) -> Page[Any]:
    """Count the rows `stmt` selects and load one page of them (entities, in `stmt`'s order)."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items: Sequence[Any] = []
    if params.offset < total:
        items = session.scalars(stmt.limit(params.size).offset(params.offset)).unique().all()
    return Page(items=items, total=total, number=params.number, size=params.size)


def _integer(name: str, raw: str | None, *, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed({name: [f"The {name} must be an integer."]}) from None
    if value < low:
        raise ValidationFailed({name: [f"The {name} must be at least {low}."]})
    if value > high:
        raise ValidationFailed({name: [f"The {name} may not be greater than {high}."]})
    return value


def laravel_params(
    page: Annotated[str | None, Query(description="Page number, from 1.")] = None,
    per_page: Annotated[
        str | None, Query(description=f"Items per page (default 15, at most {MAX_PAGE_SIZE}).")
    ] = None,
) -> PageParams:
    """`?page=N` (and the `per_page` extension), 15 per page."""
    return PageParams(
        number=_integer("page", page, default=1, low=1, high=MAX_PAGE_NUMBER),
        size=_integer("per_page", per_page, default=LARAVEL_PER_PAGE, low=1, high=MAX_PAGE_SIZE),
    )


def skip_size_params(
    skip: Annotated[str | None, Query(description="Items to skip.")] = None,
    size: Annotated[str | None, Query(description=f"Items, at most {MAX_PAGE_SIZE}.")] = None,
) -> PageParams:
    """`?skip=0&size=50`; skip must be a multiple of size to map onto pages."""
    count = _integer("size", size, default=50, low=1, high=MAX_PAGE_SIZE)
    offset = _integer("skip", skip, default=0, low=0, high=MAX_PAGE_NUMBER * count)
    if offset % count:
        raise ValidationFailed({"skip": [f"The skip must be a multiple of size ({count})."]})
    return PageParams(number=offset // count + 1, size=count)


def jsonapi_params(
    number: Annotated[str | None, Query(alias="page[number]")] = None,
    size: Annotated[str | None, Query(alias="page[size]")] = None,
) -> PageParams:
    """`page[number]` and `page[size]` (JSON:API)."""
    return PageParams(
        number=_integer("page[number]", number, default=1, low=1, high=MAX_PAGE_NUMBER),
        size=_integer("page[size]", size, default=25, low=1, high=MAX_PAGE_SIZE),
    )


LaravelPageParams = Annotated[PageParams, Depends(laravel_params)]
SkipSizeParams = Annotated[PageParams, Depends(skip_size_params)]
JsonApiPageParams = Annotated[PageParams, Depends(jsonapi_params)]


def absolute_path(request: Request) -> str:
    """The request's absolute URL without its query, on PILOTHOUSE_BASE_URL when that is set."""
    base = getattr(request.app.state, "base_url", "")
    if base:
        return base.rstrip("/") + request.url.path
    return str(request.url.replace(query=""))


def _link(request: Request, path: str, updates: dict[str, int]) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in updates]
    params += [(k, str(v)) for k, v in updates.items()]
    return f"{path}?{urlencode(params)}"


def laravel_page(request: Request, page: Page[Any], data: list[Any]) -> dict[str, Any]:
    """`data`, `links{first,last,prev,next}` and `meta{...}`, exactly as Laravel resources do."""
    path = absolute_path(request)

    def link(number: int) -> str:
        return _link(request, path, {"page": number})

    return {
        "data": data,
        "links": {
            "first": link(1),
            "last": link(page.last_page),
            "prev": link(page.number - 1) if page.number > 1 else None,
            "next": link(page.number + 1) if page.number < page.last_page else None,
        },
        "meta": {
            "current_page": page.number,
            "from": page.first_index,
            "last_page": page.last_page,
            "path": path,
            "per_page": page.size,
            "to": page.last_index,
            "total": page.total,
        },
    }


def skip_size_page(page: Page[Any], data: list[Any]) -> dict[str, Any]:
    """`items`, `total`, `skip`, `size`."""
    return {
        "items": data,
        "total": page.total,
        "skip": (page.number - 1) * page.size,
        "size": page.size,
    }


def jsonapi_page(request: Request, page: Page[Any], data: list[Any]) -> dict[str, Any]:
    """JSON:API top level: `data`, `links{self,first,last,prev,next}`, `meta{total}`."""
    path = absolute_path(request)

    def link(number: int) -> str:
        return _link(request, path, {"page[number]": number, "page[size]": page.size})

    return {
        "data": data,
        "links": {
            "self": link(page.number),
            "first": link(1),
            "last": link(page.last_page),
            "prev": link(page.number - 1) if page.number > 1 else None,
            "next": link(page.number + 1) if page.number < page.last_page else None,
        },
        "meta": {"total": page.total, "page": {"number": page.number, "size": page.size}},
    }
