"""Prepared reads answer exactly what SQLAlchemy answers, on each database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, case, func, select, text, update

from pilothouse.core.accounts.models import ApiToken, Organization, Plan
from pilothouse.core.db import session_scope
from pilothouse.core.reads import Prepared
from pilothouse.core.runtime import Runtime
from tests.builders import Account
from tests.conftest import PG_URL

TOKENS = Prepared(
    select(ApiToken.id, ApiToken.name, ApiToken.expires_at, ApiToken.revoked, Organization.plan)
    .join(Organization, Organization.id == ApiToken.organization_id)
    .where(ApiToken.organization_id == bindparam("organization_id"))
    .order_by(ApiToken.id)
)


async def test_rows_match_sqlalchemy_with_types(runtime: Runtime, account: Account) -> None:
    expires = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    with session_scope(runtime.sessions) as session:
        session.execute(update(ApiToken).where(ApiToken.name == "read").values(expires_at=expires))
    with runtime.engine.connect() as connection:
        expected = connection.execute(TOKENS.stmt, {"organization_id": account.organization_id})
        expected_rows = [tuple(row) for row in expected]

    rows = await runtime.reads.all(TOKENS, organization_id=account.organization_id)

    assert [tuple(row) for row in rows] == expected_rows
    read, write = rows
    assert (read.name, read.expires_at, read.revoked) == ("read", expires, False)
    assert read.expires_at.tzinfo is not None
    assert write.expires_at is None
    assert read.plan is Plan.standard


async def test_first_is_none_when_nothing_matches(runtime: Runtime, account: Account) -> None:
    assert await runtime.reads.first(TOKENS, organization_id=account.organization_id + 1000) is None


async def test_bound_datetimes_compare_like_sqlalchemy(runtime: Runtime, account: Account) -> None:
    since = Prepared(
        select(ApiToken.name).where(
            ApiToken.organization_id == bindparam("organization_id"),
            ApiToken.created_at >= bindparam("since"),
        )
    )
    past, future = datetime(2000, 1, 1, tzinfo=UTC), datetime(2999, 1, 1, tzinfo=UTC)
    org = account.organization_id
    assert len(await runtime.reads.all(since, organization_id=org, since=past)) == 2
    assert await runtime.reads.all(since, organization_id=org, since=future) == []


def test_in_lists_are_refused() -> None:
    with pytest.raises(ValueError, match="expanding"):
        Prepared(select(ApiToken.id).where(ApiToken.id.in_(bindparam("ids", expanding=True))))


async def test_literals_the_statement_binds_itself(runtime: Runtime, account: Account) -> None:
    counted = Prepared(
        select(func.sum(case((ApiToken.name == bindparam("name"), 10), else_=1))).where(
            ApiToken.organization_id == bindparam("organization_id")
        )
    )
    row = await runtime.reads.first(counted, organization_id=account.organization_id, name="read")
    assert row is not None and row[0] == 11


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL: PILOTHOUSE_TEST_DATABASE_URL is not set")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_connection_the_server_dropped_is_replaced(
    runtime: Runtime, account: Account
) -> None:
    org = account.organization_id
    assert len(await runtime.reads.all(TOKENS, organization_id=org)) == 2
    with runtime.engine.connect() as connection:
        dropped = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'pilothouse-reads' AND datname = current_database()"
            )
        ).all()
    assert dropped, "the read pool held a connection"
    assert len(await runtime.reads.all(TOKENS, organization_id=org)) == 2
