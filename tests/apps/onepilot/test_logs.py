"""Logs: all sites and one site, newest first, filtered by type and period."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pilothouse.core.db import session_scope
from tests.apps.onepilot.builders import create_log, create_site

API = "/onepilot/api/v1"
LOG_KEYS = {"id", "site_id", "category", "message", "type", "created_at"}


@pytest.fixture
def sites(runtime, account, other_account) -> tuple[int, int]:
    with session_scope(runtime.sessions) as session:
        one = create_site(session, account, runtime.secrets, url="http://one.test")
        two = create_site(session, account, runtime.secrets, url="http://two.test")
        foreign = create_site(session, other_account, runtime.secrets)
        for day in range(1, 6):
            at = datetime(2026, 11, day, 12, tzinfo=UTC)
            create_log(session, one, type="site_down" if day % 2 else "site_up", created_at=at)
        create_log(session, two, type="new_extension", category="client")
        create_log(session, foreign)
        return one.id, two.id


class TestLogs:
    async def test_all_sites_newest_first(self, client, account, sites):
        body = (await client.get(f"{API}/logs", headers=account.read)).json()
        assert body["meta"]["total"] == 6
        assert set(body["data"][0]) == LOG_KEYS
        assert body["data"][0]["type"] == "new_extension"
        dates = [log["created_at"] for log in body["data"]]
        assert dates == sorted(dates, reverse=True)

    async def test_one_site(self, client, account, sites):
        body = (await client.get(f"{API}/sites/{sites[0]}/logs", headers=account.read)).json()
        assert {log["site_id"] for log in body["data"]} == {sites[0]}
        assert body["meta"]["path"] == f"http://testserver/onepilot/api/v1/sites/{sites[0]}/logs"
        assert body["data"][0]["created_at"] == "2026-11-05T12:00:00+00:00"

    @pytest.mark.parametrize(
        ("query", "count"),
        [
            ("type=site_up", 2),
            ("from=2026-11-02&to=2026-11-03", 2),
            ("from=2026-11-04T12:00:00%2B00:00", 2),
            ("to=2026-11-01", 1),
            ("type=site_down&from=2026-11-02", 2),
        ],
    )
    async def test_filters(self, client, account, sites, query, count):
        url = f"{API}/sites/{sites[0]}/logs?{query}"
        assert (await client.get(url, headers=account.read)).json()["meta"]["total"] == count

    async def test_bad_dates(self, client, account, sites):
        response = await client.get(f"{API}/logs?from=yesterday", headers=account.read)
        assert response.status_code == 422
        assert response.json()["errors"] == {"from": ["The from is not a valid date."]}

    async def test_other_organization_site_is_404(self, client, other_account, sites):
        response = await client.get(f"{API}/sites/{sites[0]}/logs", headers=other_account.read)
        assert response.status_code == 404

    async def test_unauthenticated(self, client, sites):
        response = await client.get(f"{API}/logs", headers={"Accept": "text/html"})
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthenticated."}
