"""Hot reads outside any unit of work: a SELECT compiled once, run on the driver itself.

SQLAlchemy builds, compiles and wraps every execution in a context object: ~20 µs a statement
here, several times what SQLite itself needs for an indexed read. A `Prepared` statement does
the compiling once per dialect, with the bind and result processors of its columns' types
(datetimes come back timezone-aware, enums as enums), and `Reads` runs it from the event loop:

- on SQLite, on one autocommit connection of the process's own: one cursor call, inline (local,
  microseconds), no pool checkout, no transaction;
- on PostgreSQL, on psycopg's async connection pool (autocommit): one round trip, awaited on
  the loop, no thread hop, no BEGIN or ROLLBACK around it.

Rows have attribute access by column key (`row.name`), like SQLAlchemy's.

    _SITE = Prepared(select(Site.id, Site.name).where(Site.id == bindparam("ident")))
    row = await runtime.reads.first(_SITE, ident=7)
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Connection, Dialect, Engine, Select

__all__ = ["Prepared", "Reads"]

Processor = Callable[[Any], Any] | None


@dataclass(slots=True)
class _Plan:
    sql: str
    # Bind parameter names, in the order the SQL takes them (SQLite's positional "?"); by
    # name for PostgreSQL's "%(name)s".
    names: tuple[str, ...]
    defaults: dict[str, Any]  # the statement's own values (literals it binds)
    binds: tuple[Processor, ...]
    row: Callable[..., Any]
    types: tuple[Any, ...]  # each selected column's type, for this dialect
    # (column index, processor) for the columns that need one; set at the first execution,
    # as some drivers' processors depend on the type code the cursor reports (as SQLAlchemy
    # does it).
    results: tuple[tuple[int, Callable[[Any], Any]], ...] | None = None

    def processors(self, dialect: Dialect, description: Sequence[Any]) -> tuple[Any, ...]:
        if self.results is None:
            found = (
                (i, kind.result_processor(dialect, column[1]))
                for i, (kind, column) in enumerate(zip(self.types, description, strict=True))
            )
            self.results = tuple((i, process) for i, process in found if process)
        return self.results


class Prepared:
    """A SELECT, compiled on first use for each dialect (no expanding IN parameters)."""

    def __init__(self, stmt: Select[*tuple[Any, ...]]) -> None:
        if any(bind.expanding for bind in stmt.compile().binds.values()):
            raise ValueError("Prepared statements take no expanding (IN list) parameters")
        self.stmt = stmt
        self._plans: dict[str, _Plan] = {}

    def plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = self._compile(dialect)
        return plan

    def _compile(self, dialect: Dialect) -> _Plan:
        compiled = self.stmt.compile(dialect=dialect)
        names = tuple(compiled.positiontup or compiled.binds)
        defaults = {
            name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required
        }
        binds = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        columns = list(self.stmt.selected_columns)
        types = tuple(column.type.dialect_impl(dialect) for column in columns)
        keys = [str(column.key) for column in columns]
        row = namedtuple("Row", keys, rename=True)._make  # type: ignore[attr-defined]
        return _Plan(compiled.string, names, defaults, binds, row, types)


class Reads:
    """Runs prepared reads for one process, from the event loop."""

    # Connections of the PostgreSQL read pool, per process.
    POOL_SIZE = 8

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect
        self._own: Connection | None = None
        self._cursor: Any = None
        self._pool: AsyncConnectionPool | None = None
        if engine.dialect.name == "sqlite":
            self._own = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._cursor = self._own.connection.driver_connection
        elif engine.dialect.name != "postgresql":
            raise ValueError(f"no prepared reads for {engine.dialect.name}")

    async def first(self, prepared: Prepared, **params: Any) -> Any | None:
        """The first row, or None (for lookups that find one row or none)."""
        rows = await self.all(prepared, **params)
        return rows[0] if rows else None

    async def all(self, prepared: Prepared, **params: Any) -> list[Any]:
        """Every row."""
        plan = prepared.plan(self._dialect)
        given = plan.defaults | params if plan.defaults else params
        values = [
            given[name] if process is None else process(given[name])
            for name, process in zip(plan.names, plan.binds, strict=True)
        ]
        raw: Sequence[Any]
        if self._cursor is not None:
            # Read to the end: the statement is done (its read snapshot gone) when this returns.
            cursor = self._cursor.execute(plan.sql, values)
            raw = cursor.fetchall()
            description = cursor.description
        else:
            raw, description = await self._postgres_read(
                plan.sql, dict(zip(plan.names, values, strict=True))
            )
        results = plan.results
        if results is None:
            results = plan.processors(self._dialect, description)
        make = plan.row
        if not results:
            return [make(row) for row in raw]
        rows = []
        for row in raw:
            columns = list(row)
            for index, process in results:
                columns[index] = process(columns[index])
            rows.append(make(columns))
        return rows

    async def _postgres_read(
        self, sql: str, values: dict[str, Any]
    ) -> tuple[list[Any], Sequence[Any]]:
        pool = await self._postgres()
        for attempt in (1, 2):
            try:
                async with pool.connection() as connection:
                    found = await connection.execute(sql, values)
                    return await found.fetchall(), found.description or ()
            except psycopg.OperationalError:
                # Connections the server dropped (a restart): the pool discards the one that
                # failed and, checked, the others idle beside it; a read is safe to run again.
                if attempt == 2:
                    raise
                await pool.check()
        raise AssertionError("unreachable")

    async def _postgres(self) -> AsyncConnectionPool:
        # Opened on first use, inside the running loop it belongs to.
        if self._pool is None:
            url = self._engine.url.set(drivername="postgresql")
            pool = AsyncConnectionPool(
                url.render_as_string(hide_password=False),
                min_size=1,
                max_size=self.POOL_SIZE,
                kwargs={"autocommit": True, "application_name": "pilothouse-reads"},
                open=False,
            )
            await pool.open()
            self._pool = pool
        return self._pool

    async def aclose(self) -> None:
        """Give the process's connections back."""
        if self._own is not None:
            self._own.close()
            self._own = None
            self._cursor = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
