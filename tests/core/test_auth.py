"""Credentials → Principal, through HTTP: every scheme, every way a credential can be bad."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from pilothouse.core.accounts.credentials import issue_jwt
from pilothouse.core.accounts.models import ApiToken
from pilothouse.core.accounts.service import revoke_token
from pilothouse.core.db import session_scope
from pilothouse.core.runtime import Runtime
from tests.builders import Account, create_token


def basic(token: str, password: str = "") -> dict[str, str]:
    raw = base64.b64encode(f"{token}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


class TestSchemes:
    @pytest.mark.parametrize(
        "make_header",
        [
            lambda t: {"Authorization": f"Bearer {t}"},
            lambda t: {"Authorization": f"bearer {t}"},
            lambda t: {"Authorization": f"APIToken {t}"},
            lambda t: basic(t),
        ],
        ids=["bearer", "bearer-lowercase", "apitoken", "basic"],
    )
    async def test_each_scheme_maps_to_the_same_principal(
        self, probe: httpx.AsyncClient, account: Account, make_header
    ) -> None:
        response = await probe.get("/whoami", headers=make_header(account.write_token))
        assert response.status_code == 200
        body = response.json()
        assert body["user_id"] == account.user_id
        assert body["organization_id"] == account.organization_id
        assert body["scopes"] == ["read", "write"]

    async def test_jwt_bearer(self, probe: httpx.AsyncClient, account: Account, runtime: Runtime):
        token, _ = issue_jwt(
            runtime.secret,
            user_id=account.user_id,
            organization_id=account.organization_id,
            scopes=frozenset({"read"}),
            ttl_seconds=60,
        )
        response = await probe.get("/whoami", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        assert response.json()["token_id"] is None


class TestRejected:
    @pytest.mark.parametrize(
        "headers",
        [
            {},
            {"Authorization": ""},
            {"Authorization": "Bearer"},
            {"Authorization": "Bearer phat_unknown"},
            {"Authorization": "Token something"},
            {"Authorization": "Basic !!!notbase64"},
            {"Authorization": "Bearer a.b.c"},
        ],
        ids=[
            "missing",
            "empty",
            "no-credential",
            "unknown",
            "other-scheme",
            "bad-basic",
            "bad-jwt",
        ],
    )
    async def test_401_in_app_shape(self, probe: httpx.AsyncClient, headers) -> None:
        response = await probe.get("/whoami", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": {"code": "unauthorized", "message": "Unauthenticated."}}
        assert response.headers["www-authenticate"] == 'Bearer realm="probe"'

    async def test_basic_with_a_password_is_refused(
        self, probe: httpx.AsyncClient, account: Account
    ) -> None:
        response = await probe.get("/whoami", headers=basic(account.read_token, "x"))
        assert response.status_code == 401

    async def test_expired_token(self, probe: httpx.AsyncClient, account: Account, runtime):
        with session_scope(runtime.sessions) as session:
            _, secret = create_token(
                session, account, expires_at=datetime.now(UTC) - timedelta(seconds=1)
            )
        response = await probe.get("/whoami", headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 401

    async def test_revoked_token(self, probe: httpx.AsyncClient, account: Account, runtime):
        with session_scope(runtime.sessions) as session:
            token_id, secret = create_token(session, account)
        headers = {"Authorization": f"Bearer {secret}"}
        assert (await probe.get("/whoami", headers=headers)).status_code == 200
        with session_scope(runtime.sessions) as session:
            revoke_token(session, token_id)
        assert (await probe.get("/whoami", headers=headers)).status_code == 401

    async def test_expired_jwt(self, probe: httpx.AsyncClient, account: Account, runtime):
        token, _ = issue_jwt(
            runtime.secret,
            user_id=account.user_id,
            organization_id=account.organization_id,
            scopes=frozenset({"read"}),
            ttl_seconds=-10,
        )
        response = await probe.get("/whoami", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401

    async def test_jwt_signed_with_another_secret(self, probe: httpx.AsyncClient, account):
        token, _ = issue_jwt(
            "another-secret-another-secret-another-secret",
            user_id=account.user_id,
            organization_id=account.organization_id,
            scopes=frozenset({"read", "write"}),
            ttl_seconds=60,
        )
        response = await probe.get("/whoami", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


class TestScopes:
    async def test_read_only_token_cannot_write(self, probe: httpx.AsyncClient, account):
        response = await probe.post("/things", json={"name": "a", "size": 1}, headers=account.read)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"

    async def test_write_token_writes(self, probe: httpx.AsyncClient, account):
        response = await probe.post("/things", json={"name": "a", "size": 1}, headers=account.write)
        assert response.status_code == 200

    async def test_credentials_are_checked_before_the_input(
        self, probe: httpx.AsyncClient, account
    ):
        """Nobody learns what a route accepts before showing credentials that allow it."""
        bad = {"name": "", "size": "many"}
        assert (await probe.post("/things", json=bad)).status_code == 401
        assert (await probe.post("/things", content=b"{not json")).status_code == 401
        assert (await probe.post("/things", json=bad, headers=account.read)).status_code == 403
        assert (await probe.get("/skip?size=-1")).status_code == 401
        response = await probe.post("/things", json=bad, headers=account.write)
        assert response.status_code == 422


class TestTokenStorage:
    async def test_only_a_hash_is_stored_and_last_use_is_recorded(
        self, probe: httpx.AsyncClient, account: Account, runtime: Runtime
    ) -> None:
        assert (await probe.get("/whoami", headers=account.read)).status_code == 200
        with session_scope(runtime.sessions) as session:
            tokens = session.scalars(select(ApiToken)).all()
            stored = [(t.token_hash, t.prefix, t.last_used_at, t.name) for t in tokens]
        assert all(account.read_token not in h and len(h) == 64 for h, *_ in stored)
        assert all(account.read_token != p for _, p, *_ in stored)
        used = {name: last for _, _, last, name in stored}
        assert used["read"] is not None and used["write"] is None

    async def test_other_organizations_rows_answer_404(
        self, probe: httpx.AsyncClient, account: Account, other_account: Account, runtime
    ) -> None:
        with session_scope(runtime.sessions) as session:
            theirs = session.scalars(
                select(ApiToken.id).where(ApiToken.organization_id == other_account.organization_id)
            ).first()
            mine = session.scalars(
                select(ApiToken.id).where(ApiToken.organization_id == account.organization_id)
            ).first()
        assert (await probe.get(f"/tokens/{mine}", headers=account.read)).status_code == 200
        response = await probe.get(f"/tokens/{theirs}", headers=account.read)
        assert response.status_code == 404
