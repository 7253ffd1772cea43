"""The reads authentication needs, outside any request's unit of work.

On SQLite the reader keeps one autocommit connection of its own, used only on the event loop
(`Runtime.db` runs SQLite work inline), so checking a token costs one indexed read and nothing
else: no session, no pool checkout, no transaction. On other databases each read borrows a
pooled connection (in the threadpool).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Executable, Row, bindparam, select

from pilothouse.core.accounts.models import ApiToken, Membership, Organization

__all__ = ["CredentialReader"]

# Built once: a statement object reused per request skips SQLAlchemy's construction work.
_TOKEN = (
    select(
        ApiToken.id,
        ApiToken.user_id,
        ApiToken.organization_id,
        ApiToken.scopes,
        ApiToken.expires_at,
        ApiToken.revoked,
        ApiToken.last_used_at,
        Organization.plan,
    )
    .join(Organization, Organization.id == ApiToken.organization_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)
_MEMBERSHIP_PLAN = (
    select(Organization.plan)
    .join(Membership, Membership.organization_id == Organization.id)
    .where(
        Membership.user_id == bindparam("user_id"),
        Organization.id == bindparam("organization_id"),
    )
)


class CredentialReader:
    """Looks up tokens and memberships for authentication."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._own: Connection | None = None
        if engine.dialect.name == "sqlite":
            self._own = engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def _first(self, stmt: Executable, params: dict[str, Any]) -> Row[Any] | None:
        if self._own is not None:
            return self._own.execute(stmt, params).first()
        with self._engine.connect() as connection:
            return connection.execute(stmt, params).first()

    def token(self, token_hash: str) -> Row[Any] | None:
        """The token with this hash, with its organization's plan."""
        return self._first(_TOKEN, {"token_hash": token_hash})

    def membership_plan(self, user_id: int, organization_id: int) -> Any:
        """The organization's plan when the user is its member, else None."""
        row = self._first(
            _MEMBERSHIP_PLAN, {"user_id": user_id, "organization_id": organization_id}
        )
        return row[0] if row is not None else None

    def close(self) -> None:
        """Give the reader's own connection back."""
        if self._own is not None:
            self._own.close()
            self._own = None
