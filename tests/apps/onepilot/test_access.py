"""Who may call what: no token 401, read-only token on a write 403, another organization 404."""

from __future__ import annotations

import pytest

from pilothouse.core.db import session_scope
from tests.apps.onepilot.builders import create_site, create_tag

API = "/onepilot/api/v1"
READS = [
    ("GET", "/ping"),
    ("GET", "/sites"),
    ("GET", "/sites/{site}"),
    ("GET", "/sites/{site}/logs"),
    ("GET", "/sites/{site}/packages"),
    ("GET", "/logs"),
    ("GET", "/tags"),
]
WRITES = [
    ("POST", "/sites"),
    ("PATCH", "/sites/{site}"),
    ("DELETE", "/sites/{site}"),
    ("POST", "/sites/{site}/private-key"),
    ("POST", "/sites/{site}/check"),
    ("POST", "/tags"),
    ("DELETE", "/tags/{tag}"),
    ("POST", "/tags/{tag}"),
]
FOREIGN = [(method, path) for method, path in READS + WRITES if "{" in path]
BODIES = {
    ("POST", "/sites"): {"name": "a", "url": "http://a.test"},
    ("POST", "/tags"): {"name": "a"},
}


@pytest.fixture
def ids(runtime, account) -> dict[str, int]:
    with session_scope(runtime.sessions) as session:
        site = create_site(session, account, runtime.secrets, url="http://127.0.0.1:9")
        return {"site": site.id, "tag": create_tag(session, account).id}


def _call(client, method: str, path: str, ids: dict[str, int], headers: dict[str, str]):
    body = BODIES.get((method, path), {"name": "x"} if method == "PATCH" else None)
    url = API + path.format(**ids)
    return client.request(method, url, json=body, headers={"Accept": "text/html", **headers})


@pytest.mark.parametrize(("method", "path"), READS + WRITES)
async def test_no_or_bad_token_is_401(client, ids, method, path):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Token x"}):
        response = await _call(client, method, path, ids, headers)
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthenticated."}


@pytest.mark.parametrize(("method", "path"), WRITES)
async def test_read_only_token_cannot_write(client, account, ids, method, path):
    response = await _call(client, method, path, ids, account.read)
    assert response.status_code == 403
    assert response.json() == {"message": "This action is unauthorized."}


@pytest.mark.parametrize(("method", "path"), READS)
async def test_read_only_token_reads(client, account, ids, method, path):
    assert (await _call(client, method, path, ids, account.read)).status_code == 200


@pytest.mark.parametrize(("method", "path"), FOREIGN)
async def test_another_organization_gets_404(client, other_account, ids, method, path):
    response = await _call(client, method, path, ids, other_account.write)
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}
