"""The server around the apps: health, docs without a CDN, OpenAPI auth, one-app mode, logs."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from pilothouse.server import create_app


class TestHealth:
    async def test_healthz_checks_the_database(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok"}

    async def test_unknown_top_level_path_is_json_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/nowhere")
        assert response.status_code == 404
        assert response.json() == {"message": "Not Found"}


class TestDocs:
    async def test_docs_page_uses_only_local_assets(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/onepilot/api/v1/docs")
        assert response.status_code == 200
        assert "text/html" in response.headers["content-type"]
        sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
        assert sources and all(s.startswith("/onepilot/api/v1/docs/assets/") for s in sources)
        for source in sources:
            assert (await client.get(source)).status_code == 200

    async def test_openapi_declares_the_schemes_for_authorize(self, client: httpx.AsyncClient):
        schema = (await client.get("/onepilot/api/v1/openapi.json")).json()
        assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        assert schema["paths"]["/ping"]["get"]["security"] == [{"bearer": []}]
        assert schema["paths"]["/ping"]["get"]["operationId"] == "ping-ping"


class TestSingleApp:
    async def test_one_app_served_at_the_products_own_path(self, settings, runtime, account):
        app = create_app(settings.model_copy(update={"single_app": "onepilot"}), runtime)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/api/v1/ping", headers=account.read)
            assert response.json() == {"message": "pong"}
            assert (await client.get("/healthz")).status_code == 200
            docs = await client.get("/api/v1/docs")
            assert docs.status_code == 200 and "/api/v1/docs/assets/" in docs.text
            sites = await client.get("/api/v1/sites", headers=account.read)
            assert sites.json()["meta"]["path"] == "http://t/api/v1/sites"

    def test_unknown_app_is_refused(self, settings, runtime) -> None:
        with pytest.raises(ValueError, match="unknown app"):
            create_app(settings.model_copy(update={"single_app": "nope"}), runtime)


class TestAccessLog:
    async def test_one_line_per_request_with_token_id_never_the_token(
        self, probe: httpx.AsyncClient, account, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.INFO, logger="pilothouse.access"):
            await probe.get("/whoami", headers=account.read)
        lines = [r.getMessage() for r in caplog.records if r.name == "pilothouse.access"]
        assert len(lines) == 1
        assert re.fullmatch(r"GET /probe/whoami 200 [\d.]+ms token=\d+", lines[0])
        assert account.read_token not in caplog.text
