"""Organizations, users, memberships and API tokens: who may call, and on whose data."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilothouse.core.models import Base, TimestampMixin, utcnow

__all__ = ["Plan", "Role", "Organization", "User", "Membership", "ApiToken"]


class Plan(enum.StrEnum):
    standard = "standard"
    organization = "organization"
    enterprise = "enterprise"


class Role(enum.StrEnum):
    owner = "owner"
    admin = "admin"
    member = "member"


class Organization(TimestampMixin, Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    plan: Mapped[Plan] = mapped_column(
        Enum(Plan, native_enum=False, length=20, validate_strings=True), default=Plan.standard
    )


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")


class Membership(TimestampMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, validate_strings=True), default=Role.member
    )

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The first characters of the secret, to recognise a token in a list; never enough to use it.
    prefix: Mapped[str] = mapped_column(String(16))
    # SHA-256 of the secret: the secret has 256 random bits, so a fast hash is safe here.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Space-separated: "read" or "read write".
    scopes: Mapped[str] = mapped_column(String(100), default="read")
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked: Mapped[bool] = mapped_column(default=False)

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())
