"""Rate limits per principal and app: headers on every response, 429 over the limit, and one
counter shared by every server process when Redis holds it."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import httpx
import pytest

from pilothouse.core.accounts.models import Plan
from pilothouse.core.runtime import Runtime
from pilothouse.settings import Settings
from tests.conftest import REDIS_URL
from tests.core.probe import probe_server, spec

LIMITED = dataclasses.replace(spec, ratelimits={Plan.standard: 3, Plan.organization: 5})

backends = pytest.mark.parametrize(
    "redis_url",
    [
        "",
        pytest.param(
            REDIS_URL,
            marks=pytest.mark.skipif(
                not REDIS_URL, reason="Redis: PILOTHOUSE_TEST_REDIS_URL is not set"
            ),
        ),
    ],
    ids=["memory", "redis"],
)


def client_for(runtime: Runtime) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=probe_server(runtime, LIMITED))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver/probe")


def runtime_with(settings: Settings, redis_url: str) -> Runtime:
    return Runtime.from_settings(settings.model_copy(update={"redis_url": redis_url}))


@backends
async def test_headers_count_down_then_429(settings, runtime, account, redis_url) -> None:
    limited_runtime = runtime_with(settings, redis_url)
    async with client_for(limited_runtime) as client:
        seen = []
        for _ in range(3):
            response = await client.get("/whoami", headers=account.read)
            assert response.status_code == 200
            seen.append(int(response.headers["X-RateLimit-Remaining"]))
            assert response.headers["X-RateLimit-Limit"] == "3"
            assert int(response.headers["X-RateLimit-Reset"]) > time.time()
        assert seen == [2, 1, 0]
        response = await client.get("/whoami", headers=account.read)
        assert response.status_code == 429
        assert response.json() == {
            "error": {"code": "rate_limited", "message": "Too Many Attempts."}
        }
        assert 0 < int(response.headers["Retry-After"]) <= settings.ratelimit_window_seconds
        assert response.headers["X-RateLimit-Remaining"] == "0"
    await limited_runtime.aclose()


@backends
async def test_a_new_window_starts_afresh(settings, runtime, account, redis_url) -> None:
    short = settings.model_copy(update={"ratelimit_window_seconds": 1})
    limited_runtime = runtime_with(short, redis_url)
    async with client_for(limited_runtime) as client:
        for _ in range(3):
            assert (await client.get("/whoami", headers=account.read)).status_code == 200
        assert (await client.get("/whoami", headers=account.read)).status_code == 429
        await asyncio.sleep(1.2)
        response = await client.get("/whoami", headers=account.read)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Remaining"] == "2"
    await limited_runtime.aclose()


@backends
async def test_errors_carry_the_headers_too(settings, runtime, account, redis_url) -> None:
    limited_runtime = runtime_with(settings, redis_url)
    async with client_for(limited_runtime) as client:
        response = await client.get("/tokens/999999", headers=account.read)
        assert response.status_code == 404
        assert response.headers["X-RateLimit-Remaining"] == "2"
    await limited_runtime.aclose()


async def test_each_user_has_its_own_counter(settings, runtime, account, other_account):
    limited_runtime = runtime_with(settings, "")
    async with client_for(limited_runtime) as client:
        for _ in range(3):
            await client.get("/whoami", headers=account.read)
        assert (await client.get("/whoami", headers=account.read)).status_code == 429
        assert (await client.get("/whoami", headers=other_account.read)).status_code == 200
    await limited_runtime.aclose()


async def test_plan_sets_the_limit(settings, runtime, account, other_account) -> None:
    from pilothouse.core.accounts.models import Organization
    from pilothouse.core.db import session_scope

    with session_scope(runtime.sessions) as session:
        session.get(Organization, other_account.organization_id).plan = Plan.organization  # type: ignore[union-attr]
    limited_runtime = runtime_with(settings, "")
    async with client_for(limited_runtime) as client:
        response = await client.get("/whoami", headers=other_account.read)
        assert response.headers["X-RateLimit-Limit"] == "5"
    await limited_runtime.aclose()


async def test_unauthenticated_callers_are_limited_per_ip(settings, runtime) -> None:
    limited_runtime = runtime_with(settings.model_copy(update={"ratelimit_anonymous": 2}), "")
    async with client_for(limited_runtime) as client:
        assert (await client.get("/whoami")).status_code == 401
        assert (await client.get("/whoami")).status_code == 401
        response = await client.get("/whoami")
        assert response.status_code == 429
        assert "Retry-After" in response.headers
    await limited_runtime.aclose()


@pytest.mark.skipif(not REDIS_URL, reason="Redis: PILOTHOUSE_TEST_REDIS_URL is not set")
async def test_two_instances_share_one_counter_in_redis(settings, runtime, account) -> None:
    first, second = runtime_with(settings, REDIS_URL), runtime_with(settings, REDIS_URL)
    async with client_for(first) as a, client_for(second) as b:
        statuses = [
            (await client.get("/whoami", headers=account.read)).status_code
            for client in (a, b, a, b)
        ]
    assert statuses == [200, 200, 200, 429]
    await first.aclose()
    await second.aclose()
