"""The reads authentication needs, outside any request's unit of work.

They are prepared reads (`core.reads`), awaited on the event loop: checking a token costs one
indexed read and nothing else: no session, no thread hop, no transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from pilothouse.core.accounts.models import ApiToken, Membership, Organization
from pilothouse.core.reads import Prepared, Reads

__all__ = ["CredentialReader"]

_TOKEN = Prepared(
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
_MEMBERSHIP_PLAN = Prepared(
    select(Organization.plan)
    .join(Membership, Membership.organization_id == Organization.id)
    .where(
        Membership.user_id == bindparam("user_id"),
        Organization.id == bindparam("organization_id"),
    )
)


class CredentialReader:
    """Looks up tokens and memberships for authentication."""

    def __init__(self, reads: Reads) -> None:
        self._reads = reads

    async def token(self, token_hash: str) -> Any | None:
        """The token with this hash, with its organization's plan."""
        return await self._reads.first(_TOKEN, token_hash=token_hash)

    async def membership_plan(self, user_id: int, organization_id: int) -> Any:
        """The organization's plan when the user is its member, else None."""
        row = await self._reads.first(
            _MEMBERSHIP_PLAN, user_id=user_id, organization_id=organization_id
        )
        return row[0] if row is not None else None
