"""Every setting of Pilothouse, read once from `PILOTHOUSE_*` environment variables."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PILOTHOUSE_", extra="ignore")

    # --- storage -------------------------------------------------------------------------------
    data_dir: Path = Path("./var")
    # Empty means the embedded default: SQLite at <data_dir>/pilothouse.db.
    database_url: str = ""
    # Empty means in-process rate-limit counters; a redis:// URL shares them between processes.
    redis_url: str = ""
    # Prefix of every Redis key, so several deployments (or test runs) can share one Redis.
    redis_key_prefix: str = "pilothouse"

    # --- security ------------------------------------------------------------------------------
    # Empty means: generated on first start and kept in <data_dir>/secret_key.
    secret_key: str = ""
    jwt_expires_seconds: int = 3600
    # last_used_at is written at most this often per token, so reads stay reads.
    token_touch_seconds: int = 60

    # --- serving -------------------------------------------------------------------------------
    # Absolute links (pagination) use this when set, else the request's own scheme and host.
    base_url: str = ""
    # Set by `pilothouse serve --app NAME`: serve that one app at "/".
    single_app: str = ""
    log_level: str = "INFO"
    # Set to false to skip the per-request access line (never for production).
    access_log: bool = True

    # --- rate limits (requests per window, per principal, per app) --------------------------------
    ratelimit_enabled: bool = True
    ratelimit_window_seconds: int = 3600
    # PilotFlows documents 1,000/h for standard and 5,000/h for organization plans.
    ratelimit_standard: int = 1000
    ratelimit_organization: int = 5000
    ratelimit_enterprise: int = 20000
    # Unauthenticated callers, per client IP.
    ratelimit_anonymous: int = 300

    # --- webhooks -----------------------------------------------------------------------------
    webhooks_enabled: bool = True
    webhook_tick_seconds: float = 5.0

    # --- 1Pilot monitoring ------------------------------------------------------------------------
    monitor_enabled: bool = True
    monitor_tick_seconds: float = 15.0
    monitor_concurrency: int = 20
    monitor_timeout_seconds: float = 10.0
    # How often each site's 1Pilot agent is asked for its versions and packages.
    monitor_agent_interval_seconds: int = 3600
    # Extra CA certificates (PEM file) trusted by checks, beside the public ones (internal CAs).
    monitor_ca_file: str = ""

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL SQLAlchemy should use (drivers made explicit)."""
        url = self.database_url
        if not url:
            return f"sqlite:///{(self.data_dir / 'pilothouse.db').resolve()}"
        if url.startswith("postgres://"):
            url = "postgresql://" + url.removeprefix("postgres://")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url

    def server_secret(self) -> str:
        """The signing secret: the setting, else one generated once and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            candidate = secrets.token_urlsafe(48)
            try:
                with path.open("x") as fh:
                    fh.write(candidate)
                path.chmod(0o600)
            except FileExistsError:
                pass  # another process won the race; read its key
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
