"""1Pilot: sites, tags, the site/tag links, logs, uptime checks and agent packages;
and the core's leases table (one scheduler among several server processes).

Revision ID: 0002_onepilot
Revises: 0001_accounts
Create Date: 2026-11-24 08:13:57.119579
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_onepilot"
down_revision: str | None = "0001_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "onepilot_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("admin_url", sa.String(length=2048), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("private_key_sealed", sa.Text(), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("check_path", sa.String(length=1024), nullable=False),
        sa.Column("keyword", sa.String(length=255), nullable=True),
        sa.Column("failure_threshold", sa.Integer(), nullable=False),
        sa.Column("agent_enabled", sa.Boolean(), nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("ssl_issuer", sa.String(length=500), nullable=True),
        sa.Column("ssl_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ssl_verified", sa.Boolean(), nullable=True),
        sa.Column("ssl_state", sa.String(length=20), nullable=True),
        sa.Column("next_agent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agent_ok", sa.Boolean(), nullable=True),
        sa.Column("agent_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("server_ip", sa.String(length=64), nullable=True),
        sa.Column("server_web", sa.String(length=255), nullable=True),
        sa.Column("server_php", sa.String(length=255), nullable=True),
        sa.Column("server_mysql", sa.String(length=255), nullable=True),
        sa.Column("core_version", sa.String(length=100), nullable=True),
        sa.Column("core_new_version", sa.String(length=100), nullable=True),
        sa.Column("core_last_available_version", sa.String(length=100), nullable=True),
        sa.Column("updates_count", sa.Integer(), nullable=False),
        sa.Column("packages_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_onepilot_sites_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onepilot_sites")),
        sa.UniqueConstraint(
            "organization_id", "url", name=op.f("uq_onepilot_sites_organization_id")
        ),
    )
    with op.batch_alter_table("onepilot_sites", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_onepilot_sites_next_agent_at"), ["next_agent_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_onepilot_sites_next_check_at"), ["next_check_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_onepilot_sites_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "onepilot_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_onepilot_tags_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onepilot_tags")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_onepilot_tags_organization_id")
        ),
    )
    with op.batch_alter_table("onepilot_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_onepilot_tags_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "onepilot_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_ms", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_onepilot_checks_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["onepilot_sites.id"],
            name=op.f("fk_onepilot_checks_site_id_onepilot_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onepilot_checks")),
    )
    with op.batch_alter_table("onepilot_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_onepilot_checks_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            "ix_onepilot_checks_site_checked", ["site_id", "checked_at"], unique=False
        )

    op.create_table(
        "onepilot_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=50), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_onepilot_logs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["onepilot_sites.id"],
            name=op.f("fk_onepilot_logs_site_id_onepilot_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onepilot_logs")),
    )
    with op.batch_alter_table("onepilot_logs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_onepilot_logs_org_created", ["organization_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_onepilot_logs_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_onepilot_logs_site_id"), ["site_id"], unique=False)

    op.create_table(
        "onepilot_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=True),
        sa.Column("new_version", sa.String(length=100), nullable=True),
        sa.Column("last_available_version", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_onepilot_packages_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["onepilot_sites.id"],
            name=op.f("fk_onepilot_packages_site_id_onepilot_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onepilot_packages")),
        sa.UniqueConstraint("site_id", "code", name=op.f("uq_onepilot_packages_site_id")),
    )
    with op.batch_alter_table("onepilot_packages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_onepilot_packages_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_onepilot_packages_site_id"), ["site_id"], unique=False)

    op.create_table(
        "onepilot_site_tags",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_onepilot_site_tags_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["onepilot_sites.id"],
            name=op.f("fk_onepilot_site_tags_site_id_onepilot_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["onepilot_tags.id"],
            name=op.f("fk_onepilot_site_tags_tag_id_onepilot_tags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("site_id", "tag_id", name=op.f("pk_onepilot_site_tags")),
    )
    with op.batch_alter_table("onepilot_site_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_onepilot_site_tags_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("onepilot_site_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onepilot_site_tags_organization_id"))

    op.drop_table("onepilot_site_tags")
    with op.batch_alter_table("onepilot_packages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onepilot_packages_site_id"))
        batch_op.drop_index(batch_op.f("ix_onepilot_packages_organization_id"))

    op.drop_table("onepilot_packages")
    with op.batch_alter_table("onepilot_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onepilot_logs_site_id"))
        batch_op.drop_index(batch_op.f("ix_onepilot_logs_organization_id"))
        batch_op.drop_index("ix_onepilot_logs_org_created")

    op.drop_table("onepilot_logs")
    with op.batch_alter_table("onepilot_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_onepilot_checks_site_checked")
        batch_op.drop_index(batch_op.f("ix_onepilot_checks_organization_id"))

    op.drop_table("onepilot_checks")
    with op.batch_alter_table("onepilot_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onepilot_tags_organization_id"))

    op.drop_table("onepilot_tags")
    with op.batch_alter_table("onepilot_sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onepilot_sites_organization_id"))
        batch_op.drop_index(batch_op.f("ix_onepilot_sites_next_check_at"))
        batch_op.drop_index(batch_op.f("ix_onepilot_sites_next_agent_at"))

    op.drop_table("onepilot_sites")
    op.drop_table("leases")
