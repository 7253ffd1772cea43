"""Fixtures shared by every test: a migrated database (SQLite, and PostgreSQL when
PILOTHOUSE_TEST_DATABASE_URL is set), the production app factory, and an HTTP client."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pilothouse.core.db import session_scope
from pilothouse.core.migrate import upgrade_head
from pilothouse.core.runtime import Runtime
from pilothouse.server import create_app, load_models
from pilothouse.settings import Settings
from tests.builders import Account, create_account

PG_URL = os.environ.get("PILOTHOUSE_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("PILOTHOUSE_TEST_REDIS_URL", "")


def _psycopg(url: str) -> str:
    return str(make_url(url).set(drivername="postgresql+psycopg").render_as_string(False))


@pytest.fixture(
    scope="session",
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not PG_URL, reason="PostgreSQL: PILOTHOUSE_TEST_DATABASE_URL is not set"
            ),
        ),
    ],
)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database built by the Alembic migrations, once per test session and backend."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "pilothouse.db"
        url = f"sqlite:///{path}"
        upgrade_head(url)
        yield url
        return
    admin_url = _psycopg(PG_URL)
    name = f"pilothouse_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = str(make_url(admin_url).set(database=name).render_as_string(False))
    try:
        upgrade_head(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        access_log=False,
        monitor_enabled=False,
        webhooks_enabled=False,
        redis_key_prefix=f"pilothouse-test-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    runtime = Runtime.from_settings(settings)
    yield runtime
    with runtime.engine.begin() as connection:
        for table in reversed(load_models().sorted_tables):
            connection.execute(table.delete())
    await runtime.aclose()


@pytest.fixture
def app(settings: Settings, runtime: Runtime):  # type: ignore[no-untyped-def]
    return create_app(settings, runtime)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def account(runtime: Runtime) -> Account:
    """An organization with an owner and two tokens: read-only and read+write."""
    with session_scope(runtime.sessions) as session:
        return create_account(session, org="Acme")


@pytest.fixture
def other_account(runtime: Runtime) -> Account:
    """A second, unrelated organization."""
    with session_scope(runtime.sessions) as session:
        return create_account(session, org="Globex", email="owner@globex.test")
