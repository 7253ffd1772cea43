"""Tags: list, create (200 as documented), delete by DELETE or POST (200, empty body)."""

from __future__ import annotations

import pytest

from pilothouse.core.db import session_scope
from tests.apps.onepilot.builders import create_tag

API = "/onepilot/api/v1"


class TestTags:
    async def test_create_answers_200_with_the_tag(self, client, account):
        response = await client.post(
            f"{API}/tags", json={"name": "My new Tag"}, headers=account.write
        )
        assert response.status_code == 200
        tag = response.json()["data"]
        assert set(tag) == {"id", "name", "created_at", "updated_at"}
        assert tag["name"] == "My new Tag"

    async def test_list_is_paginated(self, client, account, other_account, runtime):
        with session_scope(runtime.sessions) as session:
            for n in range(16):
                create_tag(session, account, f"t{n}")
            create_tag(session, other_account, "foreign")
        body = (await client.get(f"{API}/tags", headers=account.read)).json()
        assert list(body) == ["data", "links", "meta"]
        assert len(body["data"]) == 15 and body["meta"]["total"] == 16
        assert body["links"]["next"] == "http://testserver/onepilot/api/v1/tags?page=2"

    @pytest.mark.parametrize(
        ("body", "errors"),
        [
            ({}, {"name": ["The name field is required."]}),
            ({"name": ""}, {"name": ["The name field is required."]}),
            ({"name": "x" * 256}, {"name": ["The name may not be greater than 255 characters."]}),
        ],
    )
    async def test_validation(self, client, account, body, errors):
        response = await client.post(f"{API}/tags", json=body, headers=account.write)
        assert response.status_code == 422
        assert response.json() == {"message": "The given data was invalid.", "errors": errors}

    async def test_duplicate_name(self, client, account):
        await client.post(f"{API}/tags", json={"name": "dup"}, headers=account.write)
        response = await client.post(f"{API}/tags", json={"name": "dup"}, headers=account.write)
        assert response.json()["errors"] == {"name": ["The name has already been taken."]}

    async def test_read_only_cannot_create(self, client, account):
        response = await client.post(f"{API}/tags", json={"name": "x"}, headers=account.read)
        assert response.status_code == 403

    @pytest.mark.parametrize("method", ["DELETE", "POST"])
    async def test_delete(self, client, account, other_account, runtime, method):
        with session_scope(runtime.sessions) as session:
            tag_id = create_tag(session, account).id
        url = f"{API}/tags/{tag_id}"
        assert (await client.request(method, url, headers=account.read)).status_code == 403
        assert (await client.request(method, url, headers=other_account.write)).status_code == 404
        response = await client.request(method, url, headers=account.write)
        assert (response.status_code, response.content) == (200, b"")
        assert (await client.request(method, url, headers=account.write)).status_code == 404

    async def test_deleting_a_tag_unlinks_it_from_sites(self, client, account):
        site = (
            await client.post(
                f"{API}/sites",
                json={"name": "a", "url": "http://a.test", "tags": ["gone"]},
                headers=account.write,
            )
        ).json()["data"]
        await client.delete(f"{API}/tags/{site['tags'][0]['id']}", headers=account.write)
        again = (await client.get(f"{API}/sites/{site['id']}", headers=account.read)).json()
        assert again["data"]["tags"] == []
