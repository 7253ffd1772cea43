"""Named leases in the database, so exactly one server process runs a given background job.

A holder acquires a lease for `ttl` seconds and renews it by acquiring again before it expires.
Both are one conditional UPDATE ... RETURNING, then (when no row exists yet) one INSERT ... ON
CONFLICT DO NOTHING RETURNING: each statement is atomic on SQLite and PostgreSQL, so two
processes never both win.

`run_leased` is the loop every background job uses: each round, renew the lease and do the
work only while holding it; give the lease up when the task ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, String, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from pilothouse.core.models import Base, utcnow

__all__ = ["Lease", "acquire_lease", "release_lease", "new_holder", "run_leased"]

logger = logging.getLogger("pilothouse.leases")


class Lease(Base):
    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]


def acquire_lease(engine: Engine, name: str, holder: str, *, ttl: float) -> bool:
    """Take or renew the lease `name` for `holder`; False while another holder's is live."""
    now = utcnow()
    expires = now + timedelta(seconds=ttl)
    with engine.begin() as connection:
        taken = connection.execute(
            update(Lease)
            .where(Lease.name == name, (Lease.holder == holder) | (Lease.expires_at <= now))
            .values(holder=holder, expires_at=expires)
            .returning(Lease.name)
        ).first()
        if taken is not None:
            return True
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        created = connection.execute(
            dialect.insert(Lease)
            .values(name=name, holder=holder, expires_at=expires)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(Lease.name)
        ).first()
        return created is not None


def release_lease(engine: Engine, name: str, holder: str) -> None:
    """Give the lease up at once (on shutdown), if `holder` still holds it."""
    with engine.begin() as connection:
        connection.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


def new_holder() -> str:
    """A holder name unique to this process and call, readable in the `leases` table."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def run_leased(
    engine: Engine,
    name: str,
    work: Callable[[], Awaitable[object]],
    *,
    every: float,
    ttl: float,
    rounds: int | None = None,
) -> None:
    """Every `every` seconds (forever, or `rounds` times), renew the lease `name` and run
    `work` while this process holds it; a failing round is logged and the next one runs.
    The lease is given up when the loop ends or its task is cancelled."""
    holder = new_holder()
    done = 0
    try:
        while rounds is None or done < rounds:
            if done:
                await asyncio.sleep(every)
            done += 1
            try:
                if await asyncio.to_thread(acquire_lease, engine, name, holder, ttl=ttl):
                    await work()
            except Exception:
                logger.exception("%s: round failed", name)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(release_lease, engine, name, holder)
