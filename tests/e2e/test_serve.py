"""`pilothouse serve` as a user runs it: first start prints the owner's token; it works; the
server stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.e2e.process import serve_process


def test_first_start_prints_a_working_token(tmp_path: Path) -> None:
    with serve_process(tmp_path / "var") as served:
        ping = f"{served.base}/onepilot/api/v1/ping"
        headers = {"Authorization": f"Bearer {served.token}", "Accept": "application/json"}
        ok = httpx.get(ping, headers=headers)
        assert ok.status_code == 200 and ok.json() == {"message": "pong"}
        denied = httpx.get(ping)
        assert denied.status_code == 401 and denied.json() == {"message": "Unauthenticated."}
        assert (tmp_path / "var" / "pilothouse.db").exists()
        assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0
    # uvicorn finishes in-flight requests and the lifespan, then re-raises SIGTERM to exit.
    assert served.exit_code in (0, -signal.SIGTERM)
    output = "".join(served.output)
    assert "password:" in output and "Traceback" not in output
