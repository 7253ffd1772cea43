"""1Pilot: the uptime rollup on each site, kept by the monitor with every check.

Revision ID: 0004_onepilot_uptime
Revises: 0003_webhooks
Create Date: 2026-11-24 10:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_onepilot_uptime"
down_revision: str | None = "0003_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows from before have no rollup (uptime_at is NULL): reads compute theirs until the
    # monitor's next check stores it.
    with op.batch_alter_table("onepilot_sites") as batch:
        batch.add_column(sa.Column("uptime_24h", sa.Double(), nullable=True))
        batch.add_column(sa.Column("uptime_7d", sa.Double(), nullable=True))
        batch.add_column(sa.Column("uptime_30d", sa.Double(), nullable=True))
        batch.add_column(sa.Column("response_time_ms", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("uptime_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("onepilot_sites") as batch:
        for column in ("uptime_at", "response_time_ms", "uptime_30d", "uptime_7d", "uptime_24h"):
            batch.drop_column(column)
