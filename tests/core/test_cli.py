"""The command line, run as a real process: what it prints, and its exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx


def run_cli(settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PILOTHOUSE_DATA_DIR": str(settings.data_dir),
        "PILOTHOUSE_DATABASE_URL": settings.database_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "pilothouse", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestUserCreate:
    def test_creates_then_refuses_a_duplicate(self, settings, runtime) -> None:
        done = run_cli(
            settings, "user", "create", "--email", "Ann@Example.com", "--password", "long enough"
        )
        assert done.returncode == 0, done.stderr
        assert "created user ann@example.com" in done.stdout
        again = run_cli(
            settings, "user", "create", "--email", "ann@example.com", "--password", "long enough"
        )
        assert again.returncode == 1
        assert "already exists" in again.stderr

    def test_bad_email_and_short_password(self, settings, runtime) -> None:
        bad = run_cli(settings, "user", "create", "--email", "nope", "--password", "long enough")
        assert bad.returncode == 1 and "valid email" in bad.stderr
        short = run_cli(settings, "user", "create", "--email", "a@b.c", "--password", "x")
        assert short.returncode == 1 and "at least 8" in short.stderr


class TestTokens:
    async def test_create_use_list_revoke(self, settings, runtime, client: httpx.AsyncClient):
        assert (
            run_cli(
                settings, "user", "create", "--email", "bo@x.io", "--password", "long enough"
            ).returncode
            == 0
        )
        created = run_cli(
            settings, "token", "create", "--email", "bo@x.io", "--name", "ci", "--write"
        )
        assert created.returncode == 0, created.stderr
        token = created.stdout.strip()
        assert token.startswith("phat_") and "\n" not in token
        headers = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/onepilot/api/v1/ping", headers=headers)).status_code == 200

        listed = run_cli(settings, "token", "list", "--email", "bo@x.io")
        assert listed.returncode == 0
        assert "ci" in listed.stdout and "read+write" in listed.stdout
        assert token not in listed.stdout
        token_id = listed.stdout.splitlines()[1].split()[0]

        revoked = run_cli(settings, "token", "revoke", token_id)
        assert revoked.returncode == 0 and "revoked" in revoked.stdout
        assert (await client.get("/onepilot/api/v1/ping", headers=headers)).status_code == 401

    def test_errors(self, settings, runtime) -> None:
        unknown = run_cli(settings, "token", "create", "--email", "ghost@x.io", "--name", "n")
        assert unknown.returncode == 1 and "no user" in unknown.stderr
        run_cli(settings, "user", "create", "--email", "cy@x.io", "--password", "long enough")
        bad_date = run_cli(
            settings,
            "token",
            "create",
            "--email",
            "cy@x.io",
            "--name",
            "n",
            "--expires",
            "31/12/2030",
        )
        assert bad_date.returncode == 1 and "YYYY-MM-DD" in bad_date.stderr
        yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
        past = run_cli(
            settings, "token", "create", "--email", "cy@x.io", "--name", "n", "--expires", yesterday
        )
        assert past.returncode == 1 and "future" in past.stderr
        assert run_cli(settings, "token", "revoke", "424242").returncode == 1
        assert run_cli(settings, "token").returncode == 2
