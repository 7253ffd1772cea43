"""1Pilot in a real server process: the seed's curl call, the scheduler checking a loopback site
on its own, and that site going down and up again in its logs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.apps.onepilot.servers import reply, serve
from tests.e2e.test_serve import free_port


class Switch:
    def __init__(self) -> None:
        self.status = 200

    def __call__(self, handler) -> None:
        reply(handler, self.status)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A `pilothouse serve` process (monitor ticking every 0.2 s): its API base and a token."""
    port = free_port()
    env = {
        **os.environ,
        "PILOTHOUSE_DATA_DIR": str(tmp_path / "var"),
        "PILOTHOUSE_MONITOR_TICK_SECONDS": "0.2",
        "PILOTHOUSE_MONITOR_TIMEOUT_SECONDS": "2",
    }
    env.pop("PILOTHOUSE_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "pilothouse", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    try:
        token = None
        while token is None:
            found = re.search(r"token:\s+(phat_\S+)", process.stdout.readline())
            token = found.group(1) if found else None
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield f"{base}/onepilot/api/v1", token
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        output = process.stdout.read()
        process.stdout.close()
        assert "Traceback" not in output


def test_site_goes_down_and_up_again(server: tuple[str, str]) -> None:
    base, token = server
    headers = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
    assert httpx.get(f"{base}/ping", headers=headers).json() == {"message": "pong"}
    switch = Switch()
    with serve(switch) as site_url, httpx.Client(base_url=base, headers=headers) as api:
        body = {"name": "Demo", "url": site_url, "monitor": {"agent": False}}
        site_id = api.post("/sites", json=body).json()["data"]["id"]
        deadline = time.monotonic() + 10
        while api.get(f"/sites/{site_id}").json()["data"]["status"] != "Ok":
            assert time.monotonic() < deadline, "the scheduler never checked the site"
            time.sleep(0.1)
        switch.status = 503
        for _ in range(2):
            api.post(f"/sites/{site_id}/check")
        switch.status = 200
        api.post(f"/sites/{site_id}/check")
        logs = api.get("/logs").json()["data"]
    assert [(log["type"], log["category"]) for log in logs] == [
        ("site_up", "monitor"),
        ("site_down", "monitor"),
    ]
    assert logs[1]["message"] == "Demo is down: HTTP 503."
