"""Tenant scoping in one place: every query on an organization's data starts here."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, bindparam, select
from sqlalchemy.orm import Session, joinedload

from pilothouse.core.auth import Principal
from pilothouse.core.reads import Prepared, Reads

__all__ = ["MAX_ID", "scoped", "get_scoped", "scoped_by_id", "read_scoped"]

M = TypeVar("M")

# Ids are 32-bit integers in the database; a larger one cannot exist (and must not reach SQL,
# where PostgreSQL would refuse it as out of range).
MAX_ID = 2**31 - 1


def scoped(stmt: Select[Any], principal: Principal) -> Select[Any]:
    """`stmt` limited to rows of the caller's organization (its first entity's organization_id)."""
    entity = stmt.column_descriptions[0]["entity"]
    return stmt.where(entity.organization_id == principal.organization_id)


def _owned_by_id(table: Any) -> ColumnElement[bool]:
    """`table`'s row `:ident` of organization `:organization_id` (a model or a Table's `.c`)."""
    return and_(
        table.organization_id == bindparam("organization_id"), table.id == bindparam("ident")
    )


def _by_id_params(ident: Any, principal: Principal) -> dict[str, Any] | None:
    """The parameters of `_owned_by_id`, or None for an id outside the database's range."""
    if isinstance(ident, int) and not 0 < ident <= MAX_ID:
        return None
    return {"organization_id": principal.organization_id, "ident": ident}


# Built once per model: constructing the statement costs more than running it.
_BY_ID: dict[tuple[type[Any], tuple[Any, ...]], Select[Any]] = {}


def _by_id(model: type[Any], joined: tuple[Any, ...]) -> Select[Any]:
    stmt = _BY_ID.get((model, joined))
    if stmt is None:
        stmt = select(model).where(_owned_by_id(model))
        if joined:
            stmt = stmt.options(*(joinedload(attribute) for attribute in joined))
        _BY_ID[(model, joined)] = stmt
    return stmt


def get_scoped(
    session: Session,
    model: type[M],
    ident: Any,
    principal: Principal,
    *,
    joined: tuple[Any, ...] = (),
) -> M | None:
    """One row by primary key, or None when it is missing or another organization's.

    `joined` names relationships to load in the same query (`joined=(Site.tags,)`): one round
    trip instead of a second loader query.
    """
    params = _by_id_params(ident, principal)
    if params is None:
        return None
    result: M | None = session.scalars(_by_id(model, joined), params).unique().first()
    return result


def scoped_by_id(model: type[Any], *, leave_out: Collection[str] = ()) -> Prepared:
    """A prepared read of one row of `model` by id within an organization (its columns but
    those in `leave_out`): run it with `read_scoped`."""
    table = model.__table__
    columns = [column for column in table.columns if column.key not in leave_out]
    return Prepared(select(*columns).where(_owned_by_id(table.c)))


async def read_scoped(
    reads: Reads, prepared: Prepared, ident: int, principal: Principal
) -> Any | None:
    """The row `scoped_by_id` finds for the caller's organization, or None (also for ids
    outside the database's range)."""
    params = _by_id_params(ident, principal)
    if params is None:
        return None
    return await reads.first(prepared, **params)
