"""Hot reads outside any unit of work: a SELECT compiled once, run on the driver's cursor.

SQLAlchemy builds, compiles and wraps every execution in a context object: ~20 µs a statement
here, several times what SQLite itself needs for an indexed read. A `Prepared` statement does
the compiling once per dialect, with the bind and result processors of its columns' types
(datetimes come back timezone-aware, enums as enums), and a `Reads` runs it:

- on SQLite, on one autocommit connection of the runtime's own, used only on the event loop
  (`Runtime.db` runs SQLite work inline): one cursor call, no pool checkout, no transaction;
- on other databases, through SQLAlchemy on a pooled connection (callers run in the threadpool,
  where a few microseconds do not matter).

Rows have attribute access by column key on both paths (`row.name`), like SQLAlchemy's.

    _SITE = Prepared(select(Site.id, Site.name).where(Site.id == bindparam("ident")))
    row = runtime.reads.first(_SITE, ident=7)
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, Select

__all__ = ["Prepared", "Reads"]

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    names: tuple[str, ...]  # bind parameter names, in the order the SQL takes them
    defaults: dict[str, Any]  # the statement's own values (literals it binds)
    binds: tuple[Processor, ...]
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column index, processor)
    row: Callable[..., Any]


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
        names = tuple(compiled.positiontup or ())
        defaults = {
            name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required
        }
        binds = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        columns = list(self.stmt.selected_columns)
        processors = (
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        results = tuple((i, process) for i, process in enumerate(processors) if process)
        keys = [str(column.key) for column in columns]
        row = namedtuple("Row", keys, rename=True)._make  # type: ignore[attr-defined]
        return _Plan(compiled.string, names, defaults, binds, results, row)


class Reads:
    """Runs prepared reads for one process."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect
        self._own: Connection | None = None
        self._cursor: Any = None
        if engine.dialect.name == "sqlite":
            self._own = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._cursor = self._own.connection.driver_connection

    def first(self, prepared: Prepared, **params: Any) -> Any | None:
        """The first row, or None (for lookups that find one row or none)."""
        rows = self._run(prepared, params)
        return rows[0] if rows else None

    def all(self, prepared: Prepared, **params: Any) -> list[Any]:
        """Every row."""
        return self._run(prepared, params)

    def _run(self, prepared: Prepared, params: dict[str, Any]) -> list[Any]:
        if self._cursor is None:
            with self._engine.connect() as connection:
                return list(connection.execute(prepared.stmt, params).all())
        plan = prepared.plan(self._dialect)
        given = plan.defaults | params if plan.defaults else params
        values = [
            given[name] if process is None else process(given[name])
            for name, process in zip(plan.names, plan.binds, strict=True)
        ]
        # Read to the end: the statement is done (and its read snapshot gone) when this returns.
        raw: Sequence[Any] = self._cursor.execute(plan.sql, values).fetchall()
        results, make = plan.results, plan.row
        if not results:
            return [make(row) for row in raw]
        rows = []
        for row in raw:
            values = list(row)
            for index, process in results:
                values[index] = process(values[index])
            rows.append(make(values))
        return rows

    def close(self) -> None:
        """Give the process's own connection back."""
        if self._own is not None:
            self._own.close()
            self._own = None
            self._cursor = None
