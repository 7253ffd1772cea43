"""Alembic environment: every model of the core and of every app, one history."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import pool

from pilothouse.core.db import make_engine
from pilothouse.core.models import UTCDateTime
from pilothouse.server import load_models

config = context.config
target_metadata = load_models()


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Our UTCDateTime is a plain timezone-aware DateTime in the schema."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = make_engine(url) if url.startswith("sqlite") else None
    if engine is None:
        from sqlalchemy import create_engine

        engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
