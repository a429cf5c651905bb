"""The engine and sessions. One event is one transaction: `async with db.write() as session`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

__all__ = ["Database"]

_SQLITE_BUSY_TIMEOUT_MS = 10_000


class Database:
    """Owns the engine; hands out read and write sessions.

    On SQLite, write transactions start with BEGIN IMMEDIATE: a deferred transaction that reads
    and then writes fails with SQLITE_BUSY when another writer got there first, whatever the
    busy timeout.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        engine_args: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            # Every transaction here ends in an explicit commit or rollback (sessions with
            # begin(), connections closed by SQLAlchemy), so the pool's extra ROLLBACK on each
            # check-in is a wasted round trip to aiosqlite's thread (~20% of a small command).
            engine_args.update(pool_reset_on_return=None)
        else:
            engine_args.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **engine_args)
        write_engine = self.engine
        if self.is_sqlite:
            _configure_sqlite(self.engine)
            write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self._read = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write = async_sessionmaker(write_engine, expire_on_commit=False)
        self._writer = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._read() as session, session.begin():
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        if self._writer is None:
            async with self._write() as session, session.begin():
                yield session
            return
        # SQLite has one writer at a time, and a writer that finds the lock taken sleeps and
        # polls (busy_timeout). Queue this process's writers here instead, first come first
        # served; busy_timeout is left for writers in other processes.
        async with self._writer, self._write() as session, session.begin():
            yield session

    async def serialize(self, connection: AsyncConnection | AsyncSession) -> None:
        """Hold a database-wide lock until the current transaction ends (PostgreSQL advisory
        lock; SQLite already serializes writers with BEGIN IMMEDIATE)."""
        if not self.is_sqlite:
            await connection.execute(text("SELECT pg_advisory_xact_lock(724311)"))

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see the SQLite
        # dialect notes on "Serializable isolation / Savepoints / Transactional DDL").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())
