"""Builders for test data; each returns what a test needs to call the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from pilothouse.core.accounts import service
from pilothouse.core.accounts.models import Plan, Role

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Account:
    organization_id: int
    user_id: int
    email: str
    read_token: str
    write_token: str

    @property
    def read(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.read_token}"}

    @property
    def write(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.write_token}"}


def create_account(
    session: Session,
    *,
    org: str = "Acme",
    email: str = "owner@acme.test",
    plan: Plan = Plan.standard,
) -> Account:
    organization = service.get_or_create_organization(session, org, plan=plan)
    user = service.create_user(
        session, email=email, password=PASSWORD, organization=organization, role=Role.owner
    )
    read = service.create_token(session, user=user, organization_id=organization.id, name="read")
    write = service.create_token(
        session, user=user, organization_id=organization.id, name="write", write=True
    )
    return Account(organization.id, user.id, user.email, read.secret, write.secret)


def create_token(
    session: Session,
    account: Account,
    *,
    write: bool = False,
    expires_at: datetime | None = None,
) -> tuple[int, str]:
    user = service.find_user(session, account.email)
    assert user is not None
    created = service.create_token(
        session,
        user=user,
        organization_id=account.organization_id,
        name="extra",
        write=write,
        expires_at=expires_at,
    )
    return created.token.id, created.secret
