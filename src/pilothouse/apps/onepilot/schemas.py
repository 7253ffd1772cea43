"""1Pilot request bodies (explicit models) and the documented response shapes, key for key."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from pilothouse.apps.onepilot.models import Log, Package, Site, Tag
from pilothouse.core.errors import ValidationFailed
from pilothouse.core.models import utcnow

__all__ = [
    "SiteCreate",
    "SiteUpdate",
    "MonitorSettings",
    "TagCreate",
    "PrivateKeyChange",
    "iso",
    "parse_moment",
    "site_out",
    "tag_out",
    "log_out",
    "package_out",
]


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with `+00:00` and no microseconds, as 1Pilot writes timestamps."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _valid_url(value: str) -> str:
    value = value.strip()
    try:
        parts = urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        valid = False
    if not valid:
        raise PydanticCustomError("url_parsing", "Input should be a valid URL")
    return value


def _required(value: str) -> str:
    value = value.strip()
    if not value:
        raise PydanticCustomError("missing", "Field required")
    return value


def _absolute_path(value: str) -> str:
    if not value.startswith("/"):
        raise PydanticCustomError("absolute_path", "The path must start with /")
    return value


def _tag_ref(value: Any) -> int | str:
    # A tag is named by its id (an integer) or its name (a non-empty string); nothing else.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise PydanticCustomError("enum", "Not a tag id or name")


Url = Annotated[str, Field(max_length=2048), AfterValidator(_valid_url)]
Name = Annotated[str, Field(max_length=255), AfterValidator(_required)]
Path = Annotated[str, Field(max_length=1024), AfterValidator(_absolute_path)]
TagRef = Annotated[int | str, BeforeValidator(_tag_ref)]


class Body(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class MonitorSettings(Body):
    """Per-site monitoring: how often, what to fetch, what must be in it, when it is down."""

    interval_minutes: int | None = Field(default=None, ge=1, le=1440)
    path: Path | None = None
    keyword: str | None = Field(default=None, max_length=255)
    failure_threshold: int | None = Field(default=None, ge=1, le=10)
    agent: bool | None = None


class SiteCreate(Body):
    name: Name
    url: Url
    admin_url: Url | None = None
    notes: str | None = Field(default=None, max_length=10_000)
    published: bool = True
    tags: list[TagRef] = Field(default_factory=list, max_length=100)
    monitor: MonitorSettings | None = None
    # The key an already installed agent uses (ONEPILOT_PRIVATE_KEY); generated when absent.
    private_key: str | None = Field(default=None, min_length=16, max_length=255)


class SiteUpdate(Body):
    name: Name | None = None
    url: Url | None = None
    admin_url: Url | None = None
    notes: str | None = Field(default=None, max_length=10_000)
    published: bool | None = None
    tags: list[TagRef] | None = Field(default=None, max_length=100)
    monitor: MonitorSettings | None = None

    @field_validator("name", "url", "published", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("missing", "Field required")
        return value


class PrivateKeyChange(Body):
    # The key an installed agent already uses; a new random key when absent.
    private_key: str | None = Field(default=None, min_length=16, max_length=255)


class TagCreate(Body):
    name: Name


def parse_moment(name: str, raw: str | None, *, end: bool = False) -> datetime | None:
    """`?from=` / `?to=`: a date (the whole day) or an ISO 8601 date-time; naive means UTC."""
    if raw is None or raw == "":
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime.combine(day, time.max if end else time(), tzinfo=UTC)
        moment = datetime.fromisoformat(raw.replace(" ", "+").replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed({name: [f"The {name} is not a valid date."]}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def tag_out(tag: Tag | Any) -> dict[str, Any]:
    """A documented Tag."""
    return {
        "id": tag.id,
        "name": tag.name,
        "created_at": iso(tag.created_at),
        "updated_at": iso(tag.updated_at),
    }


def log_out(log: Log) -> dict[str, Any]:
    """A documented Log (event)."""
    return {
        "id": log.id,
        "site_id": log.site_id,
        "category": log.category,
        "message": log.message,
        "type": log.type,
        "created_at": iso(log.created_at),
    }


def package_out(package: Package) -> dict[str, Any]:
    """A package as the agent reported it (a Pilothouse addition)."""
    return {
        "id": package.id,
        "site_id": package.site_id,
        "name": package.name,
        "code": package.code,
        "type": package.type,
        "active": int(package.active),
        "version": package.version,
        "new_version": package.new_version,
        "last_available_version": package.last_available_version,
        "updated_at": iso(package.updated_at),
    }


def _ssl_out(site: Site | Any) -> dict[str, Any] | None:
    if site.ssl_expires_at is None:
        return None
    left = (site.ssl_expires_at - utcnow()).total_seconds() / 86400
    return {
        "valid": bool(site.ssl_verified) and site.ssl_state != "expired",
        "issuer": site.ssl_issuer,
        "expires_at": iso(site.ssl_expires_at),
        "days_left": math.floor(left),
    }


def _core_out(site: Site | Any) -> dict[str, Any] | None:
    if site.core_version is None:
        return None
    return {
        "version": site.core_version,
        "new_version": site.core_new_version,
        "last_available_version": site.core_last_available_version,
    }


def _monitor_out(site: Site | Any) -> dict[str, Any]:
    return {
        "interval_minutes": site.interval_minutes,
        "path": site.check_path,
        "keyword": site.keyword,
        "failure_threshold": site.failure_threshold,
        "agent": site.agent_enabled,
    }


def site_out(
    site: Any,
    uptime: dict[str, Any] | None = None,
    *,
    tags: Sequence[Any] | None = None,
    private_key: str | None = None,
) -> dict[str, Any]:
    """A documented Site, then Pilothouse's extra keys (and the private key, when just made).

    `site` is a Site or a row of its columns (then with its `tags` given)."""
    body: dict[str, Any] = {
        "id": site.id,
        "name": site.name,
        "url": site.url,
        "admin_url": site.admin_url,
        "notes": site.notes,
        "status": site.status,
        "published": int(site.published),
        "tags": [tag_out(tag) for tag in (site.tags if tags is None else tags)],
        "server": {
            "ip": site.server_ip,
            "web": site.server_web,
            "php": site.server_php,
            "mysql": site.server_mysql,
        },
        "updates_count": site.updates_count,
        "created_at": iso(site.created_at),
        "updated_at": iso(site.updated_at),
        "last_check_at": iso(site.last_check_at),
        "uptime": uptime or {"24h": None, "7d": None, "30d": None, "response_time_ms": None},
        "ssl": _ssl_out(site),
        "monitor": _monitor_out(site),
        "core": _core_out(site),
        "packages_count": site.packages_count,
    }
    if private_key is not None:
        body["private_key"] = private_key
    return body
