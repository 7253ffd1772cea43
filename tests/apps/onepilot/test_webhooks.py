"""1Pilot site events reach webhook subscribers, signed, through the core's outbox."""

from __future__ import annotations

import json

import httpx

from pilothouse.core.db import session_scope
from pilothouse.core.webhooks import service as webhooks
from pilothouse.core.webhooks.worker import deliver_due
from tests.apps.onepilot.servers import serve
from tests.apps.onepilot.test_monitor import Flaky, add_site, check
from tests.core.test_webhooks import Receiver, verify


async def test_site_down_and_up_are_delivered(client, account, other_account, runtime, settings):
    settings.monitor_timeout_seconds = 0.5
    receiver = Receiver()
    try:
        with session_scope(runtime.sessions) as session:
            secret = webhooks.subscribe(
                session,
                organization_id=account.organization_id,
                app="onepilot",
                url=receiver.url,
                events=["site_down", "site_up"],
                box=runtime.secrets,
            ).secret
            webhooks.subscribe(  # another organization's subscriber hears nothing of ours
                session,
                organization_id=other_account.organization_id,
                app="onepilot",
                url=receiver.url,
                box=runtime.secrets,
            )
        flaky = Flaky()
        with serve(flaky) as url:
            site_id = await add_site(client, account, url)
            flaky.status = 500
            await check(client, account, site_id)
            await check(client, account, site_id)
            flaky.status = 200
            await check(client, account, site_id)
        with httpx.Client(timeout=5) as http:
            assert deliver_due(runtime, http) == 2
    finally:
        receiver.close()
    events = []
    for headers, body in receiver.received:
        assert verify(secret, headers, body)
        payload = json.loads(body)
        assert payload["app"] == "onepilot"
        assert payload["data"]["site"]["id"] == site_id
        assert payload["data"]["log"]["type"] == payload["event"]
        events.append(payload["event"])
    assert events == ["site_down", "site_up"]
