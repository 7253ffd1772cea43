"""Webhooks through real HTTP: a loopback receiver checks each signature; outbox semantics."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import select, update

from pilothouse.core.db import session_scope
from pilothouse.core.models import utcnow
from pilothouse.core.webhooks import service as webhooks
from pilothouse.core.webhooks.models import DeliveryStatus, WebhookDelivery
from pilothouse.core.webhooks.worker import deliver_due
from tests.core.test_cli import run_cli


class Receiver:
    """A loopback HTTP server that records posts and answers with `status`."""

    def __init__(self) -> None:
        self.status = 200
        self.received: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def client() -> Iterator[httpx.Client]:  # type: ignore[override]
    with httpx.Client(timeout=5) as c:
        yield c


def subscribe(runtime, account, url: str, events=("*",)) -> str:
    with session_scope(runtime.sessions) as session:
        created = webhooks.subscribe(
            session,
            organization_id=account.organization_id,
            app="onepilot",
            url=url,
            events=events,
            box=runtime.secrets,
        )
        return created.secret


def publish(runtime, account, event: str = "site_down", app: str = "onepilot") -> int:
    with session_scope(runtime.sessions) as session:
        return webhooks.publish(
            session,
            organization_id=account.organization_id,
            app=app,
            event=event,
            data={"site": {"id": 7}},
        )


def deliveries(runtime) -> list[WebhookDelivery]:
    with session_scope(runtime.sessions) as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    parts = dict(p.split("=", 1) for p in headers["Pilothouse-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(parts["v1"], expected.hexdigest())


class TestDelivery:
    def test_signed_post_then_delivered(self, runtime, account, receiver, client) -> None:
        secret = subscribe(runtime, account, receiver.url)
        assert publish(runtime, account) == 1
        assert deliver_due(runtime, client) == 1
        ((headers, body),) = receiver.received
        assert verify(secret, headers, body)
        assert not verify("whsec_wrong", headers, body)
        assert headers["Pilothouse-Event"] == "site_down"
        payload = json.loads(body)
        assert payload["event"] == "site_down" and payload["data"] == {"site": {"id": 7}}
        (delivery,) = deliveries(runtime)
        assert delivery.status == DeliveryStatus.delivered and delivery.attempts == 1
        assert deliver_due(runtime, client) == 0  # nothing is sent twice

    def test_failure_is_retried_later_with_backoff(self, runtime, account, receiver, client):
        subscribe(runtime, account, receiver.url)
        publish(runtime, account)
        receiver.status = 500
        assert deliver_due(runtime, client) == 0
        (delivery,) = deliveries(runtime)
        assert delivery.status == DeliveryStatus.pending and delivery.last_status_code == 500
        wait = delivery.next_attempt_at - utcnow()
        assert timedelta(seconds=25) < wait <= timedelta(seconds=30)
        assert deliver_due(runtime, client) == 0 and len(receiver.received) == 1  # not yet due
        with session_scope(runtime.sessions) as session:
            session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))
        receiver.status = 204
        assert deliver_due(runtime, client) == 1
        assert deliveries(runtime)[0].status == DeliveryStatus.delivered

    def test_gives_up_after_max_attempts(self, runtime, account, client) -> None:
        with socket.socket() as sock:  # a loopback port with nobody listening
            sock.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
        subscribe(runtime, account, closed)
        publish(runtime, account)
        for _ in range(webhooks.MAX_ATTEMPTS):
            with session_scope(runtime.sessions) as session:
                session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))
            deliver_due(runtime, client)
        (delivery,) = deliveries(runtime)
        assert delivery.status == DeliveryStatus.failed
        assert delivery.attempts == webhooks.MAX_ATTEMPTS
        assert "ConnectError" in (delivery.last_error or "")


class TestPublish:
    def test_only_matching_subscriptions(self, runtime, account, other_account, receiver):
        subscribe(runtime, account, receiver.url, events=("site_up",))
        subscribe(runtime, other_account, receiver.url)
        assert publish(runtime, account, "site_down") == 0
        assert publish(runtime, account, "site_up") == 1
        assert publish(runtime, account, "site_up", app="pizzly") == 0

    def test_outbox_rolls_back_with_the_change(self, runtime, account, receiver) -> None:
        subscribe(runtime, account, receiver.url)
        with pytest.raises(RuntimeError), session_scope(runtime.sessions) as session:
            webhooks.publish(
                session,
                organization_id=account.organization_id,
                app="onepilot",
                event="site_down",
                data={},
            )
            raise RuntimeError("the change failed")
        assert deliveries(runtime) == []

    def test_secret_is_stored_sealed(self, runtime, account, receiver) -> None:
        secret = subscribe(runtime, account, receiver.url)
        with session_scope(runtime.sessions) as session:
            (endpoint,) = webhooks.list_endpoints(session, organization_id=account.organization_id)
            assert secret not in endpoint.secret_sealed
            assert runtime.secrets.open(endpoint.secret_sealed) == secret


class TestCli:
    def test_add_list_remove(self, settings, runtime, account) -> None:
        bad = run_cli(
            settings,
            "webhook",
            "add",
            "--email",
            account.email,
            "--app",
            "onepilot",
            "--url",
            "ftp://nope",
        )
        assert bad.returncode == 1 and "valid URL" in bad.stderr
        unknown = run_cli(
            settings,
            "webhook",
            "add",
            "--email",
            account.email,
            "--app",
            "nope",
            "--url",
            "http://127.0.0.1:9/hook",
        )
        assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
        added = run_cli(
            settings,
            "webhook",
            "add",
            "--email",
            account.email,
            "--app",
            "onepilot",
            "--url",
            "http://127.0.0.1:9/hook",
            "--events",
            "site_down,site_up",
        )
        assert added.returncode == 0, added.stderr
        assert added.stdout.strip().startswith("whsec_")
        listed = run_cli(settings, "webhook", "list", "--email", account.email)
        assert "site_down site_up" in listed.stdout
        webhook_id = listed.stdout.split()[0]
        removed = run_cli(settings, "webhook", "remove", webhook_id, "--email", account.email)
        assert removed.returncode == 0
        again = run_cli(settings, "webhook", "remove", webhook_id, "--email", account.email)
        assert again.returncode == 1
