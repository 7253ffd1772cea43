"""1Pilot tables: sites and their tags, the event log, uptime checks and agent-reported packages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilothouse.core.models import Base, TimestampMixin, utcnow

__all__ = ["Site", "Tag", "Log", "SiteCheck", "Package", "site_tags"]

# 1Pilot's documentation: checks every 5 minutes; "site down" after two consecutive periods.
DEFAULT_INTERVAL_MINUTES = 5
DEFAULT_FAILURE_THRESHOLD = 2

site_tags = Table(
    "onepilot_site_tags",
    Base.metadata,
    Column("site_id", ForeignKey("onepilot_sites.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("onepilot_tags.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "organization_id",
        ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)


def _org() -> Mapped[int]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


def _site() -> Mapped[int]:
    return mapped_column(ForeignKey("onepilot_sites.id", ondelete="CASCADE"), index=True)


class Tag(TimestampMixin, Base):
    __tablename__ = "onepilot_tags"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _org()
    name: Mapped[str] = mapped_column(String(255))


class Site(TimestampMixin, Base):
    __tablename__ = "onepilot_sites"
    __table_args__ = (UniqueConstraint("organization_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _org()
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(2048))
    admin_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    # "Pending" until the first check, then "Ok" or "Down".
    status: Mapped[str] = mapped_column(String(20), default="Pending")
    published: Mapped[bool] = mapped_column(default=True)
    # The agent's private key, sealed with the server's SecretBox; never stored in plaintext.
    private_key_sealed: Mapped[str] = mapped_column(Text)

    # Monitoring settings.
    interval_minutes: Mapped[int] = mapped_column(default=DEFAULT_INTERVAL_MINUTES)
    check_path: Mapped[str] = mapped_column(String(1024), default="/")
    keyword: Mapped[str | None] = mapped_column(String(255), default=None)
    failure_threshold: Mapped[int] = mapped_column(default=DEFAULT_FAILURE_THRESHOLD)
    agent_enabled: Mapped[bool] = mapped_column(default=True)

    # Monitoring state.
    next_check_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    last_check_at: Mapped[datetime | None] = mapped_column(default=None)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    ssl_issuer: Mapped[str | None] = mapped_column(String(500), default=None)
    ssl_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    ssl_verified: Mapped[bool | None] = mapped_column(default=None)
    # None (no certificate seen), "ok", "expiring" or "expired".
    ssl_state: Mapped[str | None] = mapped_column(String(20), default=None)

    # What the agent last reported.
    next_agent_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    agent_ok: Mapped[bool | None] = mapped_column(default=None)
    agent_checked_at: Mapped[datetime | None] = mapped_column(default=None)
    server_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    server_web: Mapped[str | None] = mapped_column(String(255), default=None)
    server_php: Mapped[str | None] = mapped_column(String(255), default=None)
    server_mysql: Mapped[str | None] = mapped_column(String(255), default=None)
    core_version: Mapped[str | None] = mapped_column(String(100), default=None)
    core_new_version: Mapped[str | None] = mapped_column(String(100), default=None)
    core_last_available_version: Mapped[str | None] = mapped_column(String(100), default=None)
    updates_count: Mapped[int] = mapped_column(default=0)
    packages_count: Mapped[int] = mapped_column(default=0)
    # Uptime rollup, written by the monitor with each check (reads need no aggregate):
    # percentages over 24 h / 7 d / 30 d, the 24 h mean response time, and when it was taken.
    uptime_24h: Mapped[float | None] = mapped_column(default=None)
    uptime_7d: Mapped[float | None] = mapped_column(default=None)
    uptime_30d: Mapped[float | None] = mapped_column(default=None)
    response_time_ms: Mapped[int | None] = mapped_column(default=None)
    uptime_at: Mapped[datetime | None] = mapped_column(default=None)

    tags: Mapped[list[Tag]] = relationship(
        secondary=site_tags, order_by=lambda: Tag.id, lazy="selectin", viewonly=True
    )


class Log(Base):
    __tablename__ = "onepilot_logs"
    __table_args__ = (Index("ix_onepilot_logs_org_created", "organization_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _org()
    site_id: Mapped[int] = _site()
    category: Mapped[str] = mapped_column(String(50))
    type: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SiteCheck(Base):
    """One uptime check, kept compact: enough for status, uptime and response time."""

    __tablename__ = "onepilot_checks"
    __table_args__ = (Index("ix_onepilot_checks_site_checked", "site_id", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _org()
    site_id: Mapped[int] = mapped_column(ForeignKey("onepilot_sites.id", ondelete="CASCADE"))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool]
    status_code: Mapped[int | None] = mapped_column(default=None)
    response_ms: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(255), default=None)


class Package(Base):
    """A package the site's agent reported (composer package, extension, plugin)."""

    __tablename__ = "onepilot_packages"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _org()
    site_id: Mapped[int] = _site()
    code: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(50), default="package")
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[str | None] = mapped_column(String(100), default=None)
    new_version: Mapped[str | None] = mapped_column(String(100), default=None)
    last_available_version: Mapped[str | None] = mapped_column(String(100), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
