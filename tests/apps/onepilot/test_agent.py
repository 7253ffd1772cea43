"""The 1Pilot agent protocol against a loopback agent that checks signatures as the real one."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest

from pilothouse.apps.onepilot.monitor import run_due
from tests.apps.onepilot.servers import reply, serve

API = "/onepilot/api/v1"
KEY = "agent-private-key-0123456789"
# 1PilotApp/laravel-client: stamps more than 360 s away are refused.
STAMP_WINDOW = 360
VALIDATE: dict[str, Any] = {
    "core": {"version": "10.48.4", "new_version": "10.48.20", "last_available_version": "11.9.0"},
    "servers": {"php": "8.2.7", "web": "nginx/1.25.1", "mysql": "10.11.4-MariaDB"},
    "plugins": [
        {"name": "1Pilot Client", "code": "1pilot/laravel-client", "type": "package",
         "active": 1, "version": "0.1.0", "new_version": "0.1.0",
         "last_available_version": "0.1.0"},
        {"name": "Guzzle", "code": "guzzlehttp/guzzle", "type": "package", "active": 1,
         "version": "7.8.0", "new_version": "7.9.2", "last_available_version": "7.9.2"},
        {"name": "Carbon", "code": "nesbot/carbon", "type": "package", "active": 1,
         "version": "2.72.0", "new_version": None, "last_available_version": "3.8.0"},
    ],
    "extra": {"app.debug": False},
    "files": [],
    "errors": {"1440": [], "10080": [], "43200": []},
}  # fmt: skip


def _error(handler: BaseHTTPRequestHandler, message: str) -> None:
    body = json.dumps({"message": message, "status": 400, "data": []}).encode()
    reply(handler, 400, body, {"Content-Type": "application/json"})


class FakeAgent:
    """The site: its home page, and the agent's onepilot/validate with the signature check."""

    def __init__(self, key: str = KEY) -> None:
        self.key = key
        self.answer: Any = copy.deepcopy(VALIDATE)
        self.raw: bytes | None = None
        self.calls = 0

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path != "/onepilot/validate":
            return reply(handler)
        self.calls += 1
        signature, stamp = handler.headers.get("hash"), handler.headers.get("stamp") or ""
        if not signature:
            return _error(handler, "The request did not contain a header named `HTTP_HASH`.")
        if not stamp.isdigit() or abs(int(stamp) - time.time()) > STAMP_WINDOW:
            return _error(handler, "The timestamp found in the header is invalid")
        expected = hmac.new(self.key.encode(), stamp.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return _error(handler, f"The signature `{signature}` found in the header is invalid")
        body = self.raw if self.raw is not None else json.dumps(self.answer).encode()
        reply(handler, 200, body, {"Content-Type": "application/json"})


async def add_site(client: httpx.AsyncClient, account, url: str, **extra) -> int:
    body = {"name": "Laravel", "url": url, "private_key": KEY} | extra
    response = await client.post(f"{API}/sites", json=body, headers=account.write)
    assert response.status_code == 201, response.text
    return int(response.json()["data"]["id"])


async def check(client: httpx.AsyncClient, account, site_id: int) -> dict:
    response = await client.post(f"{API}/sites/{site_id}/check", headers=account.write)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def client_logs(client: httpx.AsyncClient, account, site_id: int) -> list[tuple[str, str]]:
    body = (await client.get(f"{API}/sites/{site_id}/logs", headers=account.read)).json()
    return [(log["type"], log["message"]) for log in body["data"] if log["category"] == "client"]


class TestValidate:
    async def test_first_answer_fills_the_site(self, client, account):
        with serve(FakeAgent()) as url:
            site_id = await add_site(client, account, url)
            result = await check(client, account, site_id)
        assert result["agent"] == {"ok": True, "error": None}
        site = result["site"]
        assert site["server"] == {
            "ip": "127.0.0.1", "web": "nginx/1.25.1", "php": "8.2.7", "mysql": "10.11.4-MariaDB",
        }  # fmt: skip
        assert site["core"] == VALIDATE["core"]
        assert (site["packages_count"], site["updates_count"]) == (3, 2)
        assert await client_logs(client, account, site_id) == []

    async def test_packages_endpoint(self, client, account, other_account):
        with serve(FakeAgent()) as url:
            site_id = await add_site(client, account, url)
            await check(client, account, site_id)
        url = f"{API}/sites/{site_id}/packages"
        body = (await client.get(url, headers=account.read)).json()
        assert [p["name"] for p in body["data"]] == ["1Pilot Client", "Carbon", "Guzzle"]
        assert set(body["data"][0]) == {
            "id", "site_id", "name", "code", "type", "active", "version", "new_version",
            "last_available_version", "updated_at",
        }  # fmt: skip
        assert body["meta"]["total"] == 3
        assert (await client.get(url, headers=other_account.read)).status_code == 404

    async def test_changes_are_logged_with_the_documented_types(self, client, account):
        agent = FakeAgent()
        with serve(agent) as url:
            site_id = await add_site(client, account, url)
            await check(client, account, site_id)
            plugins = agent.answer["plugins"]
            plugins[0]["version"] = plugins[0]["new_version"] = "0.1.1"
            plugins[2]["new_version"] = "2.73.0"
            plugins.append({"name": "Horizon", "code": "laravel/horizon", "version": "5.21.0"})
            del plugins[1]
            result = await check(client, account, site_id)
            await check(client, account, site_id)  # nothing changed: nothing logged
        assert sorted(await client_logs(client, account, site_id)) == [
            ("new_extension", "Extension Horizon installed (5.21.0)"),
            ("update_extension_available", "Extension Carbon can be updated to 2.73.0"),
            ("updated_extension", "Extension 1Pilot Client updated to 0.1.1"),
        ]
        assert (result["site"]["packages_count"], result["site"]["updates_count"]) == (3, 2)

    async def test_core_update_is_logged(self, client, account):
        agent = FakeAgent()
        with serve(agent) as url:
            site_id = await add_site(client, account, url)
            await check(client, account, site_id)
            agent.answer["core"] = {"version": "10.48.20", "new_version": "10.48.20"}
            result = await check(client, account, site_id)
        assert await client_logs(client, account, site_id) == [
            ("updated_extension", "Core updated to 10.48.20")
        ]
        assert result["site"]["updates_count"] == 1


class TestFailures:
    @pytest.mark.parametrize(
        ("break_it", "error"),
        [
            (lambda a: setattr(a, "key", "another-key-entirely"), "the agent answered HTTP 400"),
            (lambda a: setattr(a, "raw", b"<html>oops</html>"), "not a valid validate response"),
            (lambda a: setattr(a, "answer", [1, 2]), "not a valid validate response"),
            (lambda a: setattr(a, "answer", {"plugins": [{"no": "code"}]}), "not a valid"),
        ],
    )
    async def test_last_good_data_kept_and_failure_logged_once(
        self, client, account, break_it, error
    ):
        agent = FakeAgent()
        with serve(agent) as url:
            site_id = await add_site(client, account, url)
            good = (await check(client, account, site_id))["site"]
            break_it(agent)
            failed = await check(client, account, site_id)
            again = await check(client, account, site_id)
        assert failed["agent"]["ok"] is False and error in failed["agent"]["error"]
        for key in ("server", "core", "packages_count", "updates_count"):
            assert again["site"][key] == good[key]
        logs = await client_logs(client, account, site_id)
        assert [t for t, _ in logs] == ["agent_error"]
        assert KEY not in logs[0][1]

    async def test_rotated_key_no_longer_matches(self, client, account):
        with serve(FakeAgent()) as url:
            site_id = await add_site(client, account, url)
            await client.post(f"{API}/sites/{site_id}/private-key", headers=account.write)
            result = await check(client, account, site_id)
        assert result["agent"] == {"ok": False, "error": "the agent answered HTTP 400"}

    async def test_redirect_on_the_same_host_is_followed(self, client, account):
        with serve(FakeAgent()) as agent_url:
            moved = {"Location": agent_url + "/onepilot/validate"}
            with serve(lambda h: reply(h, 301, b"", moved)) as old_url:
                site_id = await add_site(client, account, old_url)
                result = await check(client, account, site_id)
        assert result["agent"] == {"ok": True, "error": None}

    async def test_redirect_to_another_host_is_not_followed(self, client, account):
        agent = FakeAgent()
        with serve(agent) as agent_url:
            elsewhere = {"Location": agent_url.replace("127.0.0.1", "localhost")}
            with serve(lambda h: reply(h, 302, b"", elsewhere)) as old_url:
                site_id = await add_site(client, account, old_url, monitor={"path": "/x"})
                result = await check(client, account, site_id)
        assert result["agent"] == {"ok": False, "error": "the agent answered HTTP 302"}
        assert agent.calls == 0

    async def test_no_agent(self, client, account):
        agent = FakeAgent()
        with serve(agent) as url:
            site_id = await add_site(client, account, url, monitor={"agent": False})
            result = await check(client, account, site_id)
        assert result["agent"] is None and agent.calls == 0


class TestScheduled:
    async def test_scheduler_asks_the_agent(self, client, account, runtime):
        agent = FakeAgent()
        with serve(agent) as url:
            site_id = await add_site(client, account, url)
            await run_due(runtime)
            await run_due(runtime)  # not due again before monitor_agent_interval_seconds
        site = (await client.get(f"{API}/sites/{site_id}", headers=account.read)).json()["data"]
        assert site["packages_count"] == 3 and agent.calls == 1
