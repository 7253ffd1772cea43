"""Uptime and SSL checks against real servers on loopback: healthy, failing, hanging, TLS."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from pilothouse.apps.onepilot.models import Site
from pilothouse.apps.onepilot.monitor import run_due, run_scheduler
from pilothouse.core.db import session_scope
from pilothouse.core.leases import acquire_lease
from pilothouse.core.models import utcnow
from tests.apps.onepilot.builders import create_site
from tests.apps.onepilot.servers import reply, self_signed, serve, server_tls
from tests.builders import create_token

API = "/onepilot/api/v1"


@pytest.fixture(autouse=True)
def short_timeout(settings) -> None:
    settings.monitor_timeout_seconds = 0.5


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


class Flaky:
    """A site whose answer the test changes: HTTP status and body."""

    def __init__(self) -> None:
        self.status, self.body = 200, b"<html>Welcome</html>"

    def __call__(self, handler) -> None:
        reply(handler, self.status, self.body)


async def add_site(client: httpx.AsyncClient, account, url: str, **monitor) -> int:
    body = {"name": "Site", "url": url, "monitor": {"agent": False, **monitor}}
    response = await client.post(f"{API}/sites", json=body, headers=account.write)
    assert response.status_code == 201, response.text
    return int(response.json()["data"]["id"])


async def check(client: httpx.AsyncClient, account, site_id: int) -> dict:
    response = await client.post(f"{API}/sites/{site_id}/check", headers=account.write)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def log_types(client: httpx.AsyncClient, account, site_id: int) -> list[str]:
    body = (await client.get(f"{API}/sites/{site_id}/logs", headers=account.read)).json()
    return [log["type"] for log in body["data"]]


class TestCheckNow:
    async def test_healthy_site(self, client, account):
        with serve(Flaky()) as url:
            site_id = await add_site(client, account, url, keyword="Welcome")
            result = await check(client, account, site_id)
        assert set(result) == {
            "checked_at", "ok", "status_code", "response_ms", "error", "ssl", "agent", "site",
        }  # fmt: skip
        assert (result["ok"], result["status_code"], result["error"]) == (True, 200, None)
        site = result["site"]
        assert site["status"] == "Ok" and site["last_check_at"] == result["checked_at"]
        assert site["server"]["ip"] == "127.0.0.1"
        assert site["uptime"]["24h"] == 100.0 and site["uptime"]["response_time_ms"] >= 0
        assert await log_types(client, account, site_id) == []

    async def test_down_after_threshold_then_up_again(self, client, account):
        flaky = Flaky()
        with serve(flaky) as url:
            site_id = await add_site(client, account, url)
            await check(client, account, site_id)
            flaky.status = 500
            first = await check(client, account, site_id)
            assert (first["ok"], first["error"], first["site"]["status"]) == (
                False,
                "HTTP 500",
                "Ok",
            )
            assert await log_types(client, account, site_id) == []
            second = await check(client, account, site_id)
            assert second["site"]["status"] == "Down"
            await check(client, account, site_id)  # still down: no new entry
            flaky.status = 200
            back = await check(client, account, site_id)
        assert back["site"]["status"] == "Ok"
        assert await log_types(client, account, site_id) == ["site_up", "site_down"]
        assert back["site"]["uptime"]["24h"] == 40.0
        logs = (await client.get(f"{API}/logs", headers=account.read)).json()["data"]
        assert {log["category"] for log in logs} == {"monitor"}

    async def test_keyword_missing(self, client, account):
        with serve(Flaky()) as url:
            site_id = await add_site(client, account, url, keyword="Checkout", path="/shop")
            result = await check(client, account, site_id)
        assert (result["ok"], result["error"]) == (False, "Keyword not found")

    async def test_hanging_site_times_out(self, client, account, release):
        with serve(lambda handler: release.wait(10)) as url:
            site_id = await add_site(client, account, url)
            started = time.monotonic()
            result = await check(client, account, site_id)
            elapsed = time.monotonic() - started
            release.set()
        assert (result["ok"], result["error"]) == (False, "Timed out after 0.5 s")
        assert elapsed < 3

    async def test_redirect_loop_is_bounded(self, client, account):
        with serve(lambda h: reply(h, 302, b"", {"Location": h.path + "x"})) as url:
            site_id = await add_site(client, account, url)
            result = await check(client, account, site_id)
        assert (result["ok"], result["error"]) == (False, "More than 5 redirects")

    async def test_unreachable(self, client, account):
        with serve(Flaky()) as url:
            pass  # the port is closed again
        site_id = await add_site(client, account, url)
        result = await check(client, account, site_id)
        assert (result["ok"], result["error"]) == (False, "Connection failed")

    async def test_access(self, client, account, other_account):
        site_id = await add_site(client, account, "http://127.0.0.1:9")
        url = f"{API}/sites/{site_id}/check"
        assert (await client.post(url, headers=account.read)).status_code == 403
        assert (await client.post(url, headers=other_account.write)).status_code == 404


class TestCertificates:
    async def test_expiring_certificate_trusted(self, client, account, settings, tmp_path):
        cert = self_signed(tmp_path, days=10)
        settings.monitor_ca_file = str(cert)
        with serve(Flaky(), tls=server_tls(cert)) as url:
            site_id = await add_site(client, account, url)
            result = await check(client, account, site_id)
            await check(client, account, site_id)
        assert result["ok"] is True
        ssl_info = result["site"]["ssl"]
        assert set(ssl_info) == {"valid", "issuer", "expires_at", "days_left"}
        assert ssl_info["valid"] is True and ssl_info["issuer"] == "Pilothouse Test CA"
        assert ssl_info["days_left"] in (9, 10)
        logs = (await client.get(f"{API}/sites/{site_id}/logs", headers=account.read)).json()
        assert [log["type"] for log in logs["data"]] == ["ssl_expiring"]
        assert logs["data"][0]["message"].startswith("SSL certificate expires in 9 days")

    async def test_untrusted_certificate_is_read_anyway(self, client, account, tmp_path):
        cert = self_signed(tmp_path, days=10)
        with serve(Flaky(), tls=server_tls(cert)) as url:
            site_id = await add_site(client, account, url)
            result = await check(client, account, site_id)
        assert (result["ok"], result["error"]) == (False, "TLS certificate verification failed")
        assert result["ssl"]["valid"] is False
        assert result["site"]["ssl"]["issuer"] == "Pilothouse Test CA"
        assert await log_types(client, account, site_id) == ["ssl_expiring"]

    async def test_expired_certificate(self, client, account, settings, tmp_path):
        cert = self_signed(tmp_path, days=-2)
        settings.monitor_ca_file = str(cert)
        with serve(Flaky(), tls=server_tls(cert)) as url:
            site_id = await add_site(client, account, url)
            result = await check(client, account, site_id)
        assert (result["ok"], result["error"]) == (False, "TLS certificate verification failed")
        assert result["site"]["ssl"]["valid"] is False
        assert result["site"]["ssl"]["days_left"] in (-3, -2)
        assert await log_types(client, account, site_id) == ["ssl_expired"]

    async def test_renewed_certificate(self, client, account, settings, tmp_path):
        old = tmp_path / "old"
        new = tmp_path / "new"
        old.mkdir(), new.mkdir()
        with serve(Flaky(), tls=server_tls(self_signed(old, days=5))) as url:
            site_id = await add_site(client, account, url, failure_threshold=5)
            await check(client, account, site_id)
        with serve(Flaky(), tls=server_tls(self_signed(new, days=90))) as url2:
            patch = {"url": url2}
            await client.patch(f"{API}/sites/{site_id}", json=patch, headers=account.write)
            result = await check(client, account, site_id)
        assert result["site"]["ssl"]["days_left"] in (89, 90)
        assert await log_types(client, account, site_id) == ["ssl_renewed", "ssl_expiring"]


class TestScheduler:
    async def test_slow_site_does_not_delay_others(self, client, account, runtime, release):
        with (
            serve(Flaky()) as healthy,
            serve(lambda h: reply(h, 500)) as failing,
            serve(lambda h: release.wait(10)) as hanging,
        ):
            ids = [await add_site(client, account, u) for u in (healthy, failing, hanging)]
            started = time.monotonic()
            await run_due(runtime)
            elapsed = time.monotonic() - started
            release.set()
        assert elapsed < 3
        sites = [
            (await client.get(f"{API}/sites/{i}", headers=account.read)).json()["data"] for i in ids
        ]
        assert [s["uptime"]["24h"] for s in sites] == [100.0, 0.0, 0.0]
        assert all(s["last_check_at"] for s in sites)

    async def test_concurrency_is_bounded(self, client, account, runtime, settings, release):
        settings.monitor_concurrency, settings.monitor_timeout_seconds = 1, 0.3
        with serve(lambda h: release.wait(10)) as hanging:
            for n in range(2):
                await add_site(client, account, f"{hanging}/{n}")
            started = time.monotonic()
            await run_due(runtime)
            elapsed = time.monotonic() - started
            release.set()
        assert elapsed >= 0.6  # one at a time: two timeouts in a row

    async def test_checked_sites_wait_for_their_interval(self, client, account, runtime):
        with serve(Flaky()) as url:
            site_id = await add_site(client, account, url)
            await run_due(runtime)
            await run_due(runtime)
        site = (await client.get(f"{API}/sites/{site_id}", headers=account.read)).json()["data"]
        assert site["uptime"]["24h"] == 100.0
        body = (await client.get(f"{API}/sites/{site_id}/logs", headers=account.read)).json()
        assert body["data"] == []

    async def test_only_the_lease_holder_checks(self, client, account, runtime):
        assert acquire_lease(runtime.engine, "onepilot-monitor", "another-process", ttl=60)
        site_id = await add_site(client, account, "http://127.0.0.1:9")
        await run_due(runtime)
        site = (await client.get(f"{API}/sites/{site_id}", headers=account.read)).json()["data"]
        assert site["last_check_at"] is None

    async def test_loop_runs_until_cancelled(self, client, account, runtime, settings):
        settings.monitor_enabled, settings.monitor_tick_seconds = True, 0.05
        with serve(Flaky()) as url:
            site_id = await add_site(client, account, url)
            task = asyncio.create_task(run_scheduler(runtime))
            for _ in range(100):
                got = await client.get(f"{API}/sites/{site_id}", headers=account.read)
                if got.json()["data"]["last_check_at"]:
                    break
                await asyncio.sleep(0.05)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        assert got.json()["data"]["status"] == "Ok"
        # the lease was given up on the way out, so another process can take over at once
        assert acquire_lease(runtime.engine, "onepilot-monitor", "next-process", ttl=60)

    async def test_disabled_loop_returns(self, runtime):
        await asyncio.wait_for(run_scheduler(runtime), 1)


class TestCheckHoldsNoTransaction:
    async def test_first_call_of_a_token_is_a_check(self, client, account, runtime):
        # The token's first use writes last_used_at; that write must be committed before the
        # check records its result, or SQLite's write lock would block the check.
        with session_scope(runtime.sessions) as session:
            site_id = create_site(session, account, runtime.secrets, url="http://127.0.0.1:9").id
            _, token = create_token(session, account, write=True)
        started = time.monotonic()
        response = await client.post(
            f"{API}/sites/{site_id}/check", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200 and time.monotonic() - started < 3


class TestUptimeRollup:
    """Each check stores the site's uptime on it; reads use it while it is fresh."""

    @staticmethod
    def _rollup(runtime, site_id: int, **values) -> None:
        with session_scope(runtime.sessions) as session:
            session.execute(update(Site).where(Site.id == site_id).values(**values))

    @staticmethod
    def _stored(runtime, site_id: int) -> tuple:
        with session_scope(runtime.sessions) as session:
            site = session.get(Site, site_id)
            assert site is not None
            return site.uptime_24h, site.uptime_30d, site.response_time_ms, site.uptime_at

    async def test_a_check_stores_the_rollup(self, client, account, runtime):
        flaky = Flaky()
        with serve(flaky) as url:
            site_id = await add_site(client, account, url)
            assert self._stored(runtime, site_id) == (None, None, None, None)
            await check(client, account, site_id)
            flaky.status = 500
            await check(client, account, site_id)
        up_24h, up_30d, response_ms, taken = self._stored(runtime, site_id)
        assert (up_24h, up_30d) == (50.0, 50.0) and response_ms is not None
        assert (utcnow() - taken).total_seconds() < 60
        site = (await client.get(f"{API}/sites/{site_id}", headers=account.read)).json()["data"]
        assert site["uptime"] == {
            "24h": 50.0, "7d": 50.0, "30d": 50.0, "response_time_ms": response_ms,
        }  # fmt: skip

    async def test_reads_use_a_fresh_rollup(self, client, account, runtime):
        with serve(Flaky()) as url:
            site_id = await add_site(client, account, url)
            await check(client, account, site_id)
        self._rollup(runtime, site_id, uptime_24h=12.5, uptime_at=utcnow())
        one = (await client.get(f"{API}/sites/{site_id}", headers=account.read)).json()["data"]
        listed = (await client.get(f"{API}/sites", headers=account.read)).json()["data"]
        assert one["uptime"]["24h"] == listed[0]["uptime"]["24h"] == 12.5

    async def test_a_stale_rollup_is_computed_from_the_checks(self, client, account, runtime):
        with serve(Flaky()) as url:
            site_id = await add_site(client, account, url, interval_minutes=5)
            await check(client, account, site_id)
        # Monitoring stopped a while ago: the stored figure is older than two intervals.
        self._rollup(runtime, site_id, uptime_24h=12.5, uptime_at=utcnow() - timedelta(hours=1))
        one = (await client.get(f"{API}/sites/{site_id}", headers=account.read)).json()["data"]
        listed = (await client.get(f"{API}/sites", headers=account.read)).json()["data"]
        assert one["uptime"]["24h"] == listed[0]["uptime"]["24h"] == 100.0

    async def test_a_site_never_checked_has_no_uptime(self, client, account):
        site_id = await add_site(client, account, "http://127.0.0.1:9/")
        site = (await client.get(f"{API}/sites/{site_id}", headers=account.read)).json()["data"]
        assert site["uptime"] == {"24h": None, "7d": None, "30d": None, "response_time_ms": None}
