"""The models and the Alembic history agree (what `alembic check` proves)."""

from __future__ import annotations

from alembic import command

from pilothouse.core.migrate import alembic_config


def test_models_match_migrations(database_url: str) -> None:
    command.check(alembic_config(database_url))
