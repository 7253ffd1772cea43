"""Password login for the apps that have one (AutoPi's POST /auth/login/ will stand on it)."""

from __future__ import annotations

from pilothouse.core.accounts.service import authenticate_password
from pilothouse.core.db import session_scope
from tests.builders import PASSWORD


def test_password_login(runtime, account) -> None:
    with session_scope(runtime.sessions) as session:
        user = authenticate_password(session, account.email.upper(), PASSWORD)
        assert user is not None and user.id == account.user_id
        assert authenticate_password(session, account.email, PASSWORD + "x") is None
        assert authenticate_password(session, "nobody@example.test", PASSWORD) is None
        assert authenticate_password(session, "not an email", PASSWORD) is None
