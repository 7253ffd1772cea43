"""Named leases in the database, so exactly one server process runs a given background job.

A holder acquires a lease for `ttl` seconds and renews it by acquiring again before it expires.
Both are one conditional UPDATE ... RETURNING, then (when no row exists yet) one INSERT ... ON
CONFLICT DO NOTHING RETURNING: each statement is atomic on SQLite and PostgreSQL, so two
processes never both win.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, String, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from pilothouse.core.models import Base, utcnow

__all__ = ["Lease", "acquire_lease", "release_lease"]


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
