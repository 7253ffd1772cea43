"""One query helper, three renderings, and clear 4xx for bad parameters."""

from __future__ import annotations

import httpx
import pytest

from pilothouse.core.db import session_scope
from pilothouse.core.runtime import Runtime
from tests.builders import Account, create_token
from tests.core.probe import probe_server


@pytest.fixture
def many_tokens(account: Account, runtime) -> int:
    """The account's organization holds 33 tokens (2 from the builder + 31)."""
    with session_scope(runtime.sessions) as session:
        for _ in range(31):
            create_token(session, account)
    return 33


class TestLaravel:
    async def test_middle_page(self, probe: httpx.AsyncClient, account, many_tokens):
        response = await probe.get("/laravel", params={"page": 2}, headers=account.read)
        body = response.json()
        assert list(body) == ["data", "links", "meta"]
        assert len(body["data"]) == 15
        base = "http://testserver/probe/laravel"
        assert body["links"] == {
            "first": f"{base}?page=1",
            "last": f"{base}?page=3",
            "prev": f"{base}?page=1",
            "next": f"{base}?page=3",
        }
        assert body["meta"] == {
            "current_page": 2,
            "from": 16,
            "last_page": 3,
            "path": base,
            "per_page": 15,
            "to": 30,
            "total": 33,
        }

    async def test_ends_and_past_the_end(self, probe: httpx.AsyncClient, account, many_tokens):
        first = (await probe.get("/laravel", headers=account.read)).json()
        assert first["links"]["prev"] is None and first["meta"]["from"] == 1
        last = (await probe.get("/laravel?page=3", headers=account.read)).json()
        assert last["links"]["next"] is None
        assert (last["meta"]["from"], last["meta"]["to"]) == (31, 33)
        past = (await probe.get("/laravel?page=9", headers=account.read)).json()
        assert past["data"] == []
        assert (past["meta"]["from"], past["meta"]["to"]) == (None, None)

    async def test_keeps_other_query_parameters(self, probe, account, many_tokens):
        body = (await probe.get("/laravel?page=1&q=x", headers=account.read)).json()
        assert body["links"]["next"] == "http://testserver/probe/laravel?q=x&page=2"

    @pytest.mark.parametrize(
        ("query", "field", "message"),
        [
            ("page=0", "page", "The page must be at least 1."),
            ("page=abc", "page", "The page must be an integer."),
            ("page=-3", "page", "The page must be at least 1."),
            ("per_page=1000", "per_page", "The per_page may not be greater than 100."),
        ],
    )
    async def test_bad_parameters(self, probe, account, query, field, message):
        response = await probe.get(f"/laravel?{query}", headers=account.read)
        assert response.status_code == 422
        assert response.json()["error"]["details"] == {field: [message]}


class TestSkipSize:
    async def test_slices(self, probe: httpx.AsyncClient, account, many_tokens):
        body = (await probe.get("/skip?skip=30&size=10", headers=account.read)).json()
        assert body["total"] == 33 and body["skip"] == 30 and body["size"] == 10
        assert len(body["items"]) == 3

    @pytest.mark.parametrize("query", ["size=0", "size=101", "skip=-1", "skip=x", "skip=5&size=10"])
    async def test_bad_parameters(self, probe, account, query):
        assert (await probe.get(f"/skip?{query}", headers=account.read)).status_code == 422


class TestJsonApi:
    async def test_pages(self, probe: httpx.AsyncClient, account, many_tokens):
        response = await probe.get(
            "/jsonapi", params={"page[number]": 2, "page[size]": 10}, headers=account.read
        )
        body = response.json()
        assert len(body["data"]) == 10 and body["meta"]["total"] == 33
        assert body["links"]["next"].endswith("page%5Bnumber%5D=3&page%5Bsize%5D=10")
        assert body["links"]["last"].endswith("page%5Bnumber%5D=4&page%5Bsize%5D=10")

    async def test_bad_parameters(self, probe, account):
        response = await probe.get("/jsonapi", params={"page[size]": "x"}, headers=account.read)
        assert response.status_code == 422


class TestBaseUrl:
    async def test_links_use_the_configured_base_url(self, settings, account, many_tokens) -> None:
        configured = settings.model_copy(update={"base_url": "https://api.example.com/"})
        runtime = Runtime.from_settings(configured)
        transport = httpx.ASGITransport(app=probe_server(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://internal:8000") as c:
            body = (await c.get("/probe/laravel?page=2", headers=account.read)).json()
        await runtime.aclose()
        assert body["meta"]["path"] == "https://api.example.com/probe/laravel"
        assert body["links"]["next"] == "https://api.example.com/probe/laravel?page=3"
