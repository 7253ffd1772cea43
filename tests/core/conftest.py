from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from pilothouse.core.runtime import Runtime
from tests.core.probe import probe_server


@pytest.fixture
async def probe(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the core-only probe app, at http://testserver/probe."""
    transport = httpx.ASGITransport(app=probe_server(runtime), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/probe") as c:
        yield c
