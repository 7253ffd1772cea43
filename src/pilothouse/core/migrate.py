"""Schema changes only through Alembic: one history for every table, applied by `migrate`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

__all__ = ["MIGRATIONS", "alembic_config", "upgrade_head"]

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the database at `url` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade_head(url: str) -> None:
    """Apply every migration not yet applied."""
    command.upgrade(alembic_config(url), "head")
