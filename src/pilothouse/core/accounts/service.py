"""The rules for accounts and tokens, shared by the CLI, the API and the dashboard.

Functions flush, never commit: the caller's unit of work commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pilothouse.core.accounts.credentials import (
    burn_password_check,
    hash_password,
    hash_token,
    new_token_secret,
    verify_password,
)
from pilothouse.core.accounts.models import ApiToken, Membership, Organization, Plan, Role, User
from pilothouse.core.errors import Conflict, NotFound, ValidationFailed

__all__ = [
    "CreatedToken",
    "Bootstrap",
    "get_or_create_organization",
    "create_user",
    "find_user",
    "membership_of",
    "create_token",
    "list_tokens",
    "revoke_token",
    "authenticate_password",
    "bootstrap_owner",
    "normalize_email",
]

DEFAULT_ORGANIZATION = "Default"
OWNER_EMAIL = "owner@pilothouse.local"


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # shown once, never stored


@dataclass(frozen=True)
class Bootstrap:
    email: str
    password: str
    token: str


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively."""
    cleaned = email.strip().lower()
    if "@" not in cleaned or cleaned.startswith("@") or cleaned.endswith("@") or " " in cleaned:
        raise ValidationFailed({"email": ["The email must be a valid email address."]})
    return cleaned


def get_or_create_organization(
    session: Session, name: str, *, plan: Plan = Plan.standard
) -> Organization:
    """The organization called `name`, created when missing."""
    organization = session.scalar(select(Organization).where(Organization.name == name))
    if organization is None:
        organization = Organization(name=name, plan=plan)
        session.add(organization)
        session.flush()
    return organization


def find_user(session: Session, email: str) -> User | None:
    """The user with this email, if any."""
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    organization: Organization,
    role: Role = Role.member,
    name: str = "",
) -> User:
    """A new user, member of `organization` with `role`; the email must be free."""
    email = normalize_email(email)
    if len(password) < 8:
        raise ValidationFailed({"password": ["The password must be at least 8 characters."]})
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with the email {email} already exists.")
    user = User(email=email, password_hash=hash_password(password), name=name)
    session.add(user)
    session.flush()
    session.add(Membership(organization_id=organization.id, user_id=user.id, role=role))
    session.flush()
    return user


def membership_of(session: Session, user: User, organization_name: str | None) -> Membership:
    """The user's membership in the named organization, or their first one."""
    stmt = select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)
    if organization_name:
        stmt = stmt.join(Organization).where(Organization.name == organization_name)
    membership = session.scalars(stmt).first()
    if membership is None:
        where = f" of {organization_name}" if organization_name else " of any organization"
        raise NotFound(f"{user.email} is not a member{where}.")
    return membership


def create_token(
    session: Session,
    *,
    user: User,
    organization_id: int,
    name: str,
    write: bool = False,
    expires_at: datetime | None = None,
) -> CreatedToken:
    """A new API token; its secret is in the result and nowhere else."""
    name = name.strip()
    if not name:
        raise ValidationFailed({"name": ["The name field is required."]})
    secret = new_token_secret()
    token = ApiToken(
        organization_id=organization_id,
        user_id=user.id,
        name=name[:200],
        prefix=secret[:12],
        token_hash=hash_token(secret),
        scopes="read write" if write else "read",
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return CreatedToken(token=token, secret=secret)


def list_tokens(session: Session, *, user: User) -> Sequence[ApiToken]:
    """The user's tokens, newest first."""
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).all()


def revoke_token(session: Session, token_id: int, *, user_id: int | None = None) -> ApiToken:
    """Mark a token revoked (it answers 401 from then on); scoped to a user when given."""
    stmt = select(ApiToken).where(ApiToken.id == token_id)
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    token = session.scalar(stmt)
    if token is None:
        raise NotFound(f"No token with id {token_id}.")
    token.revoked = True
    session.flush()
    return token


def authenticate_password(session: Session, email: str, password: str) -> User | None:
    """The user whose email and password match; as slow for unknown emails as for known ones."""
    try:
        user = find_user(session, email)
    except ValidationFailed:
        user = None
    if user is None:
        burn_password_check(password)
        return None
    return user if verify_password(user.password_hash, password) else None


def bootstrap_owner(session: Session) -> Bootstrap | None:
    """On an empty database: an owner account and a write token, returned once; else None."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    organization = get_or_create_organization(session, DEFAULT_ORGANIZATION)
    password = secrets.token_urlsafe(12)
    user = create_user(
        session, email=OWNER_EMAIL, password=password, organization=organization, role=Role.owner
    )
    created = create_token(
        session, user=user, organization_id=organization.id, name="first token", write=True
    )
    return Bootstrap(email=OWNER_EMAIL, password=password, token=created.secret)
