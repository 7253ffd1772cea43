"""Tenant scoping in one place: every query on an organization's data starts here."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from pilothouse.core.auth import Principal

__all__ = ["scoped", "get_scoped"]

M = TypeVar("M")


def scoped(stmt: Select[Any], principal: Principal) -> Select[Any]:
    """`stmt` limited to rows of the caller's organization (its first entity's organization_id)."""
    entity = stmt.column_descriptions[0]["entity"]
    return stmt.where(entity.organization_id == principal.organization_id)


# Built once per model: constructing the statement costs more than running it.
_BY_ID: dict[type[Any], Select[Any]] = {}


def _by_id(model: type[Any]) -> Select[Any]:
    stmt = _BY_ID.get(model)
    if stmt is None:
        stmt = _BY_ID[model] = select(model).where(
            model.organization_id == bindparam("organization_id"), model.id == bindparam("ident")
        )
    return stmt


def get_scoped(session: Session, model: type[M], ident: Any, principal: Principal) -> M | None:
    """One row by primary key, or None when it is missing or another organization's."""
    params = {"organization_id": principal.organization_id, "ident": ident}
    result: M | None = session.scalars(_by_id(model), params).first()
    return result
