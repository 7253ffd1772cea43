"""What one server process shares between its apps: settings, database, limiter, secret."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from pilothouse.core.accounts.lookup import CredentialReader
from pilothouse.core.db import make_engine, make_sessionmaker
from pilothouse.core.ratelimit import RateLimiter
from pilothouse.core.reads import Reads
from pilothouse.core.secrets import SecretBox
from pilothouse.settings import Settings

__all__ = ["Runtime"]

REQUEST_SLOTS = 16
P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    limiter: RateLimiter
    secret: str
    secrets: SecretBox
    reads: Reads
    credentials: CredentialReader
    # Requests holding a database session at once; fewer than the pool holds, so a request
    # never waits on the pool itself (workers and the CLI use the rest).
    request_slots: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(REQUEST_SLOTS)
    )

    @functools.cached_property
    def inline_db(self) -> bool:
        """SQLite answers in microseconds from local memory: call it on the event loop rather
        than paying a thread hop (~100 µs) per call. Network databases go to the threadpool."""
        return self.engine.dialect.name == "sqlite"

    async def db(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run blocking database work: inline for SQLite, in the threadpool otherwise."""
        if self.inline_db:
            return fn(*args, **kwargs)
        return await run_in_threadpool(fn, *args, **kwargs)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        """Open the database and the limiter the settings name."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.sqlalchemy_url)
        secret = settings.server_secret()
        reads = Reads(engine)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            limiter=RateLimiter(settings.redis_url, key_prefix=settings.redis_key_prefix),
            secret=secret,
            secrets=SecretBox(secret),
            reads=reads,
            credentials=CredentialReader(reads),
        )

    async def aclose(self) -> None:
        """Release the database and Redis connections."""
        await self.limiter.aclose()
        await self.reads.aclose()
        self.engine.dispose()
