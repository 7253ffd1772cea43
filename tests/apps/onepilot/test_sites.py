"""Sites: the documented shape key for key, create/patch/delete, filters, key rotation."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from pilothouse.apps.onepilot.models import Site
from pilothouse.core.db import session_scope
from tests.apps.onepilot.builders import create_site, create_tag

API = "/onepilot/api/v1"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
SITE_KEYS = {
    "id", "name", "url", "admin_url", "notes", "status", "published", "tags", "server",
    "updates_count", "created_at", "updated_at", "last_check_at",
    "uptime", "ssl", "monitor", "core", "packages_count",
}  # fmt: skip
BAD_TAG_0, BAD_TAG_1 = "The selected tags.0 is invalid.", "The selected tags.1 is invalid."
BAD_PATH = "The monitor.path is invalid: The path must start with /."
BAD_INTERVAL = "The monitor.interval minutes must be at least 1."
SHORT_KEY = "The private key must be at least 16 characters."
TAG_KEYS = {"id", "name", "created_at", "updated_at"}


async def post_site(client: httpx.AsyncClient, account, **body) -> httpx.Response:
    body = {"name": "Example.com", "url": "http://example.test"} | body
    return await client.post(f"{API}/sites", json=body, headers=account.write)


class TestCreateSite:
    async def test_documented_shape_and_key_shown_once(self, client, account):
        response = await post_site(
            client, account, admin_url="http://example.test/backend", notes="Demo site"
        )
        assert response.status_code == 201
        site = response.json()["data"]
        assert set(site) == SITE_KEYS | {"private_key"}
        assert len(site["private_key"]) >= 32
        assert site["published"] == 1 and site["status"] == "Pending"
        assert site["server"] == {"ip": None, "web": None, "php": None, "mysql": None}
        assert site["updates_count"] == 0 and site["last_check_at"] is None
        assert ISO.match(site["created_at"]) and ISO.match(site["updated_at"])
        assert site["monitor"] == {
            "interval_minutes": 5, "path": "/", "keyword": None, "failure_threshold": 2,
            "agent": True,
        }  # fmt: skip
        again = (await client.get(f"{API}/sites/{site['id']}", headers=account.read)).json()
        assert set(again["data"]) == SITE_KEYS

    async def test_private_key_is_sealed_at_rest(self, client, account, runtime):
        key = (await post_site(client, account)).json()["data"]["private_key"]
        with session_scope(runtime.sessions) as session:
            stored = session.scalars(select(Site)).one().private_key_sealed
        assert key not in stored and runtime.secrets.open(stored) == key

    async def test_tags_by_id_or_name(self, client, account, runtime):
        with session_scope(runtime.sessions) as session:
            tag_id = create_tag(session, account, "Prod").id
        site = (await post_site(client, account, tags=[tag_id, "Clients", "Prod"])).json()["data"]
        assert [t["name"] for t in site["tags"]] == ["Prod", "Clients"]
        assert set(site["tags"][0]) == TAG_KEYS

    async def test_monitor_settings(self, client, account):
        monitor = {"interval_minutes": 1, "path": "/login", "keyword": "Welcome"}
        site = (await post_site(client, account, monitor=monitor)).json()["data"]
        assert site["monitor"] | monitor == site["monitor"]

    async def test_given_private_key_is_used(self, client, account):
        site = (await post_site(client, account, private_key="k" * 20)).json()["data"]
        assert site["private_key"] == "k" * 20

    @pytest.mark.parametrize(
        ("body", "errors"),
        [
            ({"url": "not a url"}, {"url": ["The url must be a valid URL."]}),
            ({"url": "ftp://example.test"}, {"url": ["The url must be a valid URL."]}),
            ({"url": None}, {"url": ["The url must be a string."]}),
            ({"name": "  "}, {"name": ["The name field is required."]}),
            ({"admin_url": "nope"}, {"admin_url": ["The admin url must be a valid URL."]}),
            ({"tags": [999999]}, {"tags": ["The selected tags is invalid."]}),
            ({"tags": [2**40]}, {"tags": ["The selected tags is invalid."]}),
            ({"private_key": "short"}, {"private_key": [SHORT_KEY]}),
            ({"tags": [True, ""]}, {"tags.0": [BAD_TAG_0], "tags.1": [BAD_TAG_1]}),
            ({"monitor": {"path": "x"}}, {"monitor.path": [BAD_PATH]}),
            ({"monitor": {"interval_minutes": 0}}, {"monitor.interval_minutes": [BAD_INTERVAL]}),
        ],
    )  # fmt: skip
    async def test_validation(self, client, account, body, errors):
        response = await post_site(client, account, **body)
        assert response.status_code == 422
        assert response.json() == {"message": "The given data was invalid.", "errors": errors}

    async def test_invalid_json(self, client, account):
        headers = {**account.write, "Content-Type": "application/json"}
        response = await client.post(f"{API}/sites", content=b"{bad", headers=headers)
        assert response.status_code == 422
        assert response.json()["errors"] == {"body": ["The request body is not valid JSON."]}

    async def test_missing_fields(self, client, account):
        response = await client.post(f"{API}/sites", json={}, headers=account.write)
        assert response.json()["errors"] == {
            "name": ["The name field is required."],
            "url": ["The url field is required."],
        }

    async def test_duplicate_url_in_organization(self, client, account, other_account):
        await post_site(client, account, url="https://dup.test")
        response = await post_site(client, account, url="https://dup.test/")
        assert response.status_code == 422
        assert response.json()["errors"] == {"url": ["The url has already been taken."]}
        assert (await post_site(client, other_account, url="https://dup.test")).status_code == 201

    async def test_read_only_token_is_refused(self, client, account):
        response = await client.post(
            f"{API}/sites", json={"name": "a", "url": "http://a.test"}, headers=account.read
        )
        assert response.status_code == 403
        assert response.json() == {"message": "This action is unauthorized."}


class TestReadSites:
    async def test_get_unknown_foreign_or_huge_id_is_404(self, client, account, other_account):
        foreign = (await post_site(client, other_account)).json()["data"]["id"]
        for site_id in (foreign, 424242, 2**40, "abc"):
            response = await client.get(f"{API}/sites/{site_id}", headers=account.read)
            assert response.status_code == 404
            assert response.json() == {"message": "Not Found"}

    async def test_list_is_paginated_and_scoped(self, client, account, other_account, runtime):
        with session_scope(runtime.sessions) as session:
            for n in range(17):
                create_site(session, account, runtime.secrets, url=f"http://s{n}.test")
            create_site(session, other_account, runtime.secrets)
        body = (await client.get(f"{API}/sites?page=2", headers=account.read)).json()
        assert [len(body["data"]), body["meta"]["total"], body["meta"]["from"]] == [2, 17, 16]
        assert body["links"]["next"] is None
        assert body["links"]["prev"] == "http://testserver/onepilot/api/v1/sites?page=1"
        assert set(body["data"][0]) == SITE_KEYS
        past = (await client.get(f"{API}/sites?page=5", headers=account.read)).json()
        assert past["data"] == [] and past["meta"]["from"] is None and past["meta"]["to"] is None

    @pytest.mark.parametrize("page", ["0", "abc"])
    async def test_bad_page(self, client, account, page):
        response = await client.get(f"{API}/sites?page={page}", headers=account.read)
        assert response.status_code == 422
        assert list(response.json()["errors"]) == ["page"]

    async def test_filters(self, client, account, runtime):
        with session_scope(runtime.sessions) as session:
            prod = create_tag(session, account, "Prod")
            create_site(session, account, runtime.secrets, name="Shop", url="https://shop.test")
            blog = create_site(session, account, runtime.secrets, name="Blog", url="http://b.test")
            blog.status = "Down"
            session.flush()
            blog_id, prod_id = blog.id, prod.id
        await client.patch(
            f"{API}/sites/{blog_id}", json={"tags": [prod_id]}, headers=account.write
        )

        async def names(query: str) -> list[str]:
            body = (await client.get(f"{API}/sites?{query}", headers=account.read)).json()
            return [site["name"] for site in body["data"]]

        assert await names("search=SHOP") == ["Shop"]
        assert await names("search=b.test") == ["Blog"]
        assert await names("status=down") == ["Blog"]
        assert await names(f"tag={prod_id}") == ["Blog"]
        assert await names("tag=prod") == ["Blog"]
        assert await names("tag=nope") == []


class TestUpdateAndDelete:
    async def test_patch_changes_only_given_fields(self, client, account):
        site = (await post_site(client, account, notes="keep")).json()["data"]
        response = await client.patch(
            f"{API}/sites/{site['id']}",
            json={"name": "Renamed", "published": 0, "tags": ["New"], "monitor": {"keyword": "ok"}},
            headers=account.write,
        )
        data = response.json()["data"]
        assert response.status_code == 200 and set(data) == SITE_KEYS
        assert (data["name"], data["notes"], data["published"]) == ("Renamed", "keep", 0)
        assert [t["name"] for t in data["tags"]] == ["New"]
        assert data["monitor"]["keyword"] == "ok" and data["monitor"]["interval_minutes"] == 5

    async def test_patch_validation_and_duplicate(self, client, account):
        await post_site(client, account, url="http://taken.test")
        site = (await post_site(client, account)).json()["data"]
        url = f"{API}/sites/{site['id']}"
        taken = await client.patch(url, json={"url": "http://taken.test"}, headers=account.write)
        assert taken.json()["errors"] == {"url": ["The url has already been taken."]}
        null = await client.patch(url, json={"name": None}, headers=account.write)
        assert null.json()["errors"] == {"name": ["The name field is required."]}
        same = await client.patch(url, json={"url": site["url"]}, headers=account.write)
        assert same.status_code == 200

    async def test_delete(self, client, account, other_account):
        site = (await post_site(client, account)).json()["data"]
        url = f"{API}/sites/{site['id']}"
        assert (await client.delete(url, headers=account.read)).status_code == 403
        assert (await client.delete(url, headers=other_account.write)).status_code == 404
        response = await client.delete(url, headers=account.write)
        assert (response.status_code, response.content) == (200, b"")
        assert (await client.get(url, headers=account.read)).status_code == 404

    async def test_cross_organization_writes_are_404(self, client, account, other_account):
        site = (await post_site(client, account)).json()["data"]
        url = f"{API}/sites/{site['id']}"
        patch = await client.patch(url, json={"name": "x"}, headers=other_account.write)
        rotate = await client.post(f"{url}/private-key", headers=other_account.write)
        assert patch.status_code == rotate.status_code == 404


class TestRotatePrivateKey:
    async def test_new_key_shown_once(self, client, account):
        site = (await post_site(client, account)).json()["data"]
        url = f"{API}/sites/{site['id']}/private-key"
        assert (await client.post(url, headers=account.read)).status_code == 403
        rotated = (await client.post(url, headers=account.write)).json()["data"]
        assert rotated["private_key"] != site["private_key"]
        assert set(rotated) == SITE_KEYS | {"private_key"}

    async def test_given_key(self, client, account):
        site = (await post_site(client, account)).json()["data"]
        url = f"{API}/sites/{site['id']}/private-key"
        given = await client.post(url, json={"private_key": "p" * 24}, headers=account.write)
        assert given.json()["data"]["private_key"] == "p" * 24
        short = await client.post(url, json={"private_key": "p"}, headers=account.write)
        assert short.json()["errors"] == {"private_key": [SHORT_KEY]}
