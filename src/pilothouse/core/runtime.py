"""What one server process shares between its apps: settings, database, limiter, secret."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pilothouse.core.db import make_engine, make_sessionmaker
from pilothouse.core.ratelimit import RateLimiter
from pilothouse.core.secrets import SecretBox
from pilothouse.settings import Settings

__all__ = ["Runtime"]


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    limiter: RateLimiter
    secret: str
    secrets: SecretBox
    # Background tasks started by apps (schedulers); cancelled on shutdown.
    background: list[object] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        """Open the database and the limiter the settings name."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.sqlalchemy_url)
        secret = settings.server_secret()
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            limiter=RateLimiter(settings.redis_url, key_prefix=settings.redis_key_prefix),
            secret=secret,
            secrets=SecretBox(secret),
        )

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
