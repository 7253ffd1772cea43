"""1Pilot's typed auth: any token reads; a token with Write access creates and deletes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from pilothouse.core.auth import AUTH_MARK, Principal, get_runtime, require
from pilothouse.core.db import session_scope

__all__ = ["Reader", "Writer", "WriterOutsideUnitOfWork"]

Reader = Annotated[Principal, Depends(require())]
Writer = Annotated[Principal, Depends(require(scopes={"write"}))]


def _committed_at_once(check: Callable[[Request, Session], Principal]) -> Callable[..., Principal]:
    def dependency(request: Request) -> Principal:
        with session_scope(get_runtime(request).sessions) as session:
            return check(request, session)

    setattr(dependency, AUTH_MARK, getattr(check, AUTH_MARK))
    return dependency


# For routes that await outbound calls: the credential check is committed before the handler
# runs, so no transaction (and on SQLite no write lock) stays open while the handler waits.
WriterOutsideUnitOfWork = Annotated[
    Principal, Depends(_committed_at_once(require(scopes={"write"})))
]
