"""1Pilot in a real server process: the seed's curl call, the scheduler checking a loopback site
on its own, and that site going down and up again in its logs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.apps.onepilot.servers import reply, serve
from tests.e2e.process import serve_process


class Switch:
    def __init__(self) -> None:
        self.status = 200

    def __call__(self, handler) -> None:
        reply(handler, self.status)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A `pilothouse serve` process (monitor ticking every 0.2 s): its API base and a token."""
    with serve_process(
        tmp_path / "var", monitor_tick_seconds="0.2", monitor_timeout_seconds="2"
    ) as served:
        yield f"{served.base}/onepilot/api/v1", served.token
    assert "Traceback" not in "".join(served.output)


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
