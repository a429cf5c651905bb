"""The engine and units of work. One event is one transaction, and one transaction is one plain
function, run in one hop from async code:

    replies = await db.write_tx(handle_command, event, now)   # def handle_command(tx, ...)
    await db.write(pause_chat, platform, chat_id)               # def pause_chat(session, ...)

`write_tx`/`read_tx` hand the function a `Tx` (prepared statements on the driver's connection,
and an ORM session on demand); `write`/`read` hand it that ORM session directly.

On SQLite the function runs inline on the event loop (a local file: a small transaction costs
less than a hand-off to a thread); on PostgreSQL it runs in a small thread pool through the
synchronous psycopg driver, so a slow network round trip never stalls the loop. Each of those
(the loop, each pool thread) keeps one connection open: no pool checkout per transaction.
Nothing awaits inside a transaction.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.checkpoint import WRITER_CHECKPOINT_PAGES, WalCheckpointer
from bot.store.tx import Tx, run_on_driver

__all__ = ["Database", "Tx"]

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

_SQLITE_BUSY_TIMEOUT_MS = 10_000
_POSTGRES_WORKERS = 8


class Database:
    """Owns the engine; runs units of work in read or write transactions.

    On SQLite, write transactions start with BEGIN IMMEDIATE: a deferred transaction that reads
    and then writes fails with SQLITE_BUSY when another writer got there first, whatever the
    busy timeout. Inline on the one event loop, this process's writers are already one at a
    time; busy_timeout is left for writers in other processes.

    `sqlite_thread=True` runs SQLite work on one dedicated thread instead of inline (measured
    slower by benchmarks/core.py; kept for that comparison).
    """

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        sqlite_thread: bool = False,
        sqlite_busy_timeout_ms: int = _SQLITE_BUSY_TIMEOUT_MS,
    ) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        # Every transaction here ends in an explicit commit or rollback, so the pool's extra
        # ROLLBACK on each check-in is a wasted round trip.
        engine_args: dict[str, Any] = {"echo": echo, "pool_reset_on_return": None}
        if not self.is_sqlite:
            engine_args.update(pool_size=_POSTGRES_WORKERS, max_overflow=2, pool_recycle=1800)
        self.engine: Engine = create_engine(url, **engine_args)
        write_engine = self.engine
        if self.is_sqlite:
            _configure_sqlite(self.engine, sqlite_busy_timeout_ms)
            write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(write_engine, expire_on_commit=False)
        self._executor: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._kept: list[Connection] = []
        self._checkpointer: WalCheckpointer | None = None
        if self.is_sqlite and parsed.database not in (None, "", ":memory:"):
            self._checkpointer = WalCheckpointer(self.engine)
        if not self.is_sqlite:
            self._executor = ThreadPoolExecutor(_POSTGRES_WORKERS, thread_name_prefix="db")
        elif sqlite_thread:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="sqlite")

    async def read(
        self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(session, *args)` in a read transaction, in one hop."""
        return await self._run(partial(self._in_transaction, False, _orm(work), args, kwargs))

    async def write(
        self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(session, *args)` in a write transaction, committed when it returns."""
        return await self._run(partial(self._in_transaction, True, _orm(work), args, kwargs))

    async def read_tx(
        self, work: Callable[Concatenate[Tx, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(tx, *args)` in a read transaction, in one hop."""
        return await self._run(partial(self._in_transaction, False, work, args, kwargs))

    async def write_tx(
        self, work: Callable[Concatenate[Tx, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(tx, *args)` in a write transaction, committed when it returns."""
        return await self._run(partial(self._in_transaction, True, work, args, kwargs))

    async def run(self, work: Callable[[], T]) -> T:
        """Run synchronous database work that manages its own connection (migrations)."""
        return await self._run(work)

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A write transaction for synchronous callers (the CLI, tests' setup)."""
        with self._write() as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    async def _run(self, call: Callable[[], T]) -> T:
        if self._executor is None:
            return call()
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def _in_transaction(self, write: bool, work: Callable[..., T], args: Any, kwargs: Any) -> T:
        try:
            return self._once(write, work, args, kwargs)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        # The server dropped the connection (a restart, a failover, pg_terminate_backend):
        # nothing was committed, and the pool has let go of the old connections. Once more.
        log.warning("the database connection was lost; retrying the transaction once")
        return self._once(write, work, args, kwargs)

    def _once(self, write: bool, work: Callable[..., T], args: Any, kwargs: Any) -> T:
        connection = self._connection()
        begin = "IMMEDIATE" if write else ""
        if self.is_sqlite and connection.get_execution_options().get("sqlite_begin") != begin:
            connection.execution_options(sqlite_begin=begin)
        tx = Tx(connection)
        try:
            with connection.begin():
                result = work(tx, *args, **kwargs)
                tx.finish()
            if write and self._checkpointer is not None:
                self._checkpointer.committed()
            return result
        except BaseException:
            if connection.invalidated:
                self._forget_connection(connection)
            raise
        finally:
            tx.close()

    def _connection(self) -> Connection:
        """This thread's connection, opened on first use and kept."""
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed:
            connection = self.engine.connect()
            self._local.connection = connection
            with self._lock:
                self._kept.append(connection)
        return connection

    def _forget_connection(self, connection: Connection) -> None:
        self._local.connection = None
        with self._lock:
            if connection in self._kept:
                self._kept.remove(connection)
        connection.close()

    def serialize(self, connection: Connection | Session) -> None:
        """Hold a database-wide lock until the current transaction ends (PostgreSQL advisory
        lock; SQLite already serializes writers with BEGIN IMMEDIATE)."""
        if not self.is_sqlite:
            connection.execute(text("SELECT pg_advisory_xact_lock(724311)"))

    async def ping(self) -> bool:
        def select_one(session: Session) -> None:
            session.execute(text("SELECT 1"))

        try:
            await self.read(select_one)
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        if self._checkpointer is not None:
            self._checkpointer.stop()
        with self._lock:
            kept, self._kept = self._kept, []
        for connection in kept:
            connection.close()
        self.engine.dispose()


def _orm(work: Callable[..., T]) -> Callable[..., T]:
    """A unit of work over an ORM session, run as one over a `Tx`."""

    def over_session(tx: Tx, *args: Any, **kwargs: Any) -> T:
        return work(tx.session, *args, **kwargs)

    return over_session


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see the SQLite
        # dialect notes on "Serializable isolation / Savepoints / Transactional DDL").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A thread copies the log back (bot.store.checkpoint); the writer's own checkpoint only
        # lets the log start over.
        cursor.execute(f"PRAGMA wal_autocheckpoint={WRITER_CHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        # Straight on the driver: through `exec_driver_sql` the BEGIN cost more than the
        # statements of a typical event.
        run_on_driver(connection, f"BEGIN {mode}".strip()).close()
