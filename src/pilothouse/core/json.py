"""A fast JSON response (orjson): datetimes as ISO 8601, UTC offsets as +00:00."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse as _StarletteJSONResponse

__all__ = ["JSONResponse", "dumps"]


def dumps(content: Any) -> bytes:
    """Serialize with orjson; pydantic models must be dumped to dicts first."""
    return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class JSONResponse(_StarletteJSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)
