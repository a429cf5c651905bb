"""One open transaction, as a unit of work sees it.

The statements every event runs (who is this, what to ask, record the answer) are
`Prepared`: built with SQLAlchemy Core, compiled by SQLAlchemy once per dialect, and run
straight on the driver's connection with SQLAlchemy's own type conversions. That skips the
per-statement execution machinery (an execution context, a result object, events), which
costs several times what SQLite itself spends on such a statement.

Everything else keeps using the ORM: `tx.session` is an ORM session on the same connection
and in the same transaction, made the first time something asks for it. Before a prepared
statement runs, that session's pending changes are flushed, as its own autoflush would (and,
inside `session.no_autoflush`, are not).
Prepared writes do not refresh ORM objects already loaded in the transaction; they touch
rows (asks, reviews, schedules, the inbox) that ORM code does not hold while they run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

__all__ = ["Prepared", "Tx", "run_on_driver"]

Row = tuple[Any, ...]


@dataclass
class _Compiled:
    sql: str
    names: tuple[str, ...]  # bound parameters, in the order a positional driver wants them
    positional: bool
    defaults: dict[str, Any]  # values written into the statement (LIMIT 1)
    bind: tuple[tuple[str, Callable[[Any], Any]], ...]  # conversions to the driver's types
    types: tuple[Any, ...]  # of each returned column
    # Conversions of each returned column; made at the first run, from the driver's own
    # description of the columns, as SQLAlchemy does.
    result: tuple[Callable[[Any], Any] | None, ...] | None = None


class Prepared:
    """A Core statement compiled once per dialect. `build` gets the dialect's name, for
    statements that differ (INSERT ... ON CONFLICT comes from the dialect's own module)."""

    def __init__(self, build: Callable[[str], Executable]) -> None:
        self._build = build
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _compile(self._build(dialect.name), dialect)
        return found


def _compile(statement: Any, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    binds = {name: bind for bind, name in compiled.bind_names.items()}
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup) if positional else tuple(binds)
    defaults = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
    bind_processors = []
    for name, bind in binds.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            bind_processors.append((name, processor))
    columns = getattr(statement, "exported_columns", None) or ()
    return _Compiled(
        sql=compiled.string,
        names=names,
        positional=positional,
        defaults=defaults,
        bind=tuple(bind_processors),
        types=tuple(column.type for column in columns),
    )


class Tx:
    """The transaction a unit of work runs in: prepared statements, and `session` for the ORM."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self._session: Session | None = None
        self._announce = bool(connection.dispatch.before_cursor_execute)

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = Session(
                bind=self.connection,
                expire_on_commit=False,
                join_transaction_mode="rollback_only",
            )
        return self._session

    def rows(self, statement: Prepared, **params: Any) -> list[Row]:
        """Every row the statement returns."""
        compiled = statement.compiled(self.dialect)
        cursor = self._run(compiled, self._values(compiled, params))
        try:
            return self._converted(compiled, cursor, cursor.fetchall())
        finally:
            cursor.close()

    def first(self, statement: Prepared, **params: Any) -> Row | None:
        """The first row, or None."""
        compiled = statement.compiled(self.dialect)
        cursor = self._run(compiled, self._values(compiled, params))
        try:
            row = cursor.fetchone()
            return None if row is None else self._converted(compiled, cursor, [row])[0]
        finally:
            cursor.close()

    def scalar(self, statement: Prepared, **params: Any) -> Any:
        """The first column of the first row, or None."""
        row = self.first(statement, **params)
        return None if row is None else row[0]

    def execute(self, statement: Prepared, **params: Any) -> int:
        """Run a statement that returns no rows; how many rows it changed."""
        compiled = statement.compiled(self.dialect)
        cursor = self._run(compiled, self._values(compiled, params))
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def execute_many(self, statement: Prepared, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        compiled = statement.compiled(self.dialect)
        values = [self._values(compiled, row) for row in rows]
        self._run(compiled, values, many=True).close()

    def finish(self) -> None:
        """Write what the ORM session holds, before the transaction commits."""
        if self._session is not None:
            self._session.flush()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # --- running ------------------------------------------------------------------------------

    @staticmethod
    def _values(compiled: _Compiled, params: dict[str, Any]) -> Any:
        values = {**compiled.defaults, **params} if compiled.defaults else dict(params)
        for name, convert in compiled.bind:
            values[name] = convert(values[name])
        if compiled.positional:
            return tuple(values[name] for name in compiled.names)
        return values

    def _converted(self, compiled: _Compiled, cursor: Any, rows: list[Any]) -> list[Row]:
        result = compiled.result
        if result is None:
            result = compiled.result = tuple(
                kind.dialect_impl(self.dialect).result_processor(self.dialect, described[1])
                for kind, described in zip(compiled.types, cursor.description, strict=True)
            )
        if not any(result):
            return [tuple(row) for row in rows]
        return [
            tuple(v if c is None else c(v) for c, v in zip(result, row, strict=True))
            for row in rows
        ]

    def _run(self, compiled: _Compiled, values: Any, many: bool = False) -> Any:
        if self._session is not None and self._session.autoflush:
            self._session.flush()  # a no-op when it holds no changes
        return run_on_driver(
            self.connection, compiled.sql, values, many=many, announce=self._announce
        )


def run_on_driver(
    connection: Connection,
    sql: str,
    values: Any = (),
    *,
    many: bool = False,
    announce: bool | None = None,
) -> Any:
    """Run SQL on the connection's driver connection, skipping SQLAlchemy's per-statement
    machinery but not its contract: listeners of its statement events see the statement, and
    a failure is raised as SQLAlchemy's `DBAPIError` (a lost connection invalidated, as
    SQLAlchemy would, for a retry to take a new one). Returns the driver's cursor."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if announce is None:
        announce = bool(connection.dispatch.before_cursor_execute)
    if announce:
        # Whoever listens to SQLAlchemy's statement events (echo, the benchmarks' statement
        # log) sees these statements too.
        connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, many)
    try:
        if many:
            cursor.executemany(sql, values)
        else:
            cursor.execute(sql, values)
    except Exception as error:
        cursor.close()
        raise _wrapped(connection, error, sql, values) from error
    return cursor


def _wrapped(connection: Connection, error: Exception, sql: str, values: Any) -> BaseException:
    """The driver's error as SQLAlchemy raises it, so that callers handle one kind."""
    dialect = connection.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    if not isinstance(error, dbapi_error):
        return error
    lost = dialect.is_disconnect(error, connection.connection.driver_connection, None)
    if lost:
        connection.invalidate(error)
    return DBAPIError.instance(
        sql,
        values,
        error,
        dbapi_error,
        hide_parameters=True,
        connection_invalidated=lost,
        dialect=dialect,
    )
