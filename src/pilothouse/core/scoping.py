"""Tenant scoping in one place: every query on an organization's data starts here."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pilothouse.core.auth import Principal

__all__ = ["scoped", "get_scoped"]

M = TypeVar("M")


def scoped(stmt: Select[Any], principal: Principal) -> Select[Any]:
    """`stmt` limited to rows of the caller's organization (its first entity's organization_id)."""
    entity = stmt.column_descriptions[0]["entity"]
    return stmt.where(entity.organization_id == principal.organization_id)


def get_scoped(session: Session, model: type[M], ident: Any, principal: Principal) -> M | None:
    """One row by primary key, or None when it is missing or another organization's."""
    stmt = scoped(select(model), principal).where(model.id == ident)  # type: ignore[attr-defined]
    return session.scalars(stmt).first()
