"""Every error an app can produce goes through its renderer; no trace ever leaks."""

from __future__ import annotations

import httpx


class TestErrorShapes:
    async def test_validation_failure_is_422_with_fields(self, probe: httpx.AsyncClient, account):
        response = await probe.post(
            "/things", json={"name": "far too long a name", "size": "big"}, headers=account.write
        )
        assert response.status_code == 422
        assert response.json() == {
            "error": {
                "code": "validation_failed",
                "message": "The given data was invalid.",
                "details": {
                    "name": ["The name may not be greater than 10 characters."],
                    "size": ["The size must be an integer."],
                },
            }
        }

    async def test_missing_field_and_bad_json(self, probe: httpx.AsyncClient, account):
        response = await probe.post("/things", json={"name": "a"}, headers=account.write)
        assert response.json()["error"]["details"] == {"size": ["The size field is required."]}
        response = await probe.post(
            "/things",
            content=b"{not json",
            headers={**account.write, "Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_failed"

    async def test_unknown_path_is_404_in_app_shape(self, probe: httpx.AsyncClient):
        response = await probe.get("/no/such/thing")
        assert response.status_code == 404
        assert response.json() == {"error": {"code": "not_found", "message": "Not Found"}}

    async def test_wrong_method_is_405_in_app_shape(self, probe: httpx.AsyncClient):
        response = await probe.delete("/whoami")
        assert response.status_code == 405
        assert response.json()["error"]["code"] == "method_not_allowed"

    async def test_crash_is_500_without_trace(self, probe: httpx.AsyncClient):
        response = await probe.get("/boom")
        assert response.status_code == 500
        assert response.json() == {"error": {"code": "server_error", "message": "Server Error"}}
        assert "hunter2" not in response.text and "Traceback" not in response.text

    async def test_bad_path_parameter_is_422_not_500(self, probe: httpx.AsyncClient, account):
        response = await probe.get("/tokens/abc", headers=account.read)
        assert response.status_code == 422

    async def test_id_beyond_the_database_range_is_404(self, probe: httpx.AsyncClient, account):
        for ident in ("0", "-1", str(2**31), str(2**63)):
            response = await probe.get(f"/tokens/{ident}", headers=account.read)
            assert response.status_code == 404, ident
