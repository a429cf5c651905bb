"""SQLite's WAL checkpoints, on a thread of their own.

Each commit appends the pages it changed to the write-ahead log; a checkpoint copies them back
into the database file and syncs it. Left to SQLite, the commit that takes the log past 1,000
pages does that copy itself, on the event loop: in benchmarks/telegram_updates.py one commit in
seventy took 12 ms, and those few were over half of all the time spent committing. Here a thread
with its own connection checkpoints after every few commits, and a little after the last one;
sqlite3 lets go of the GIL while SQLite works, so the copy runs beside the loop.

A passive checkpoint never waits for the writer, so under a steady stream of commits it never
quite reaches the end of the log, and only a checkpoint by the writer itself lets the log start
over from the beginning. The writer's own is therefore kept, at a larger size
(`WRITER_CHECKPOINT_PAGES`): by then the thread has copied nearly all of it.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine, PoolProxiedConnection
from sqlalchemy.exc import SQLAlchemyError

__all__ = ["WRITER_CHECKPOINT_PAGES", "WalCheckpointer"]

log = logging.getLogger(__name__)

WRITER_CHECKPOINT_PAGES = 4000


class WalCheckpointer:
    """Checkpoints after every `every_commits` commits, and `idle_seconds` after the last."""

    def __init__(
        self, engine: Engine, *, every_commits: int = 20, idle_seconds: float = 1.0
    ) -> None:
        self._engine = engine
        self._every = every_commits
        self._idle_seconds = idle_seconds
        self._unchecked = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        """A write transaction committed (called by the writer, from any one thread)."""
        self._unchecked += 1
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
            self._thread.start()
        if self._unchecked >= self._every:
            self._wake.set()

    def stop(self) -> None:
        """Stop the thread. (SQLite checkpoints what is left when the last connection closes.)"""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping = True
        self._wake.set()
        thread.join()
        self._stopping = False

    def _run(self) -> None:
        # The driver's connection, in autocommit: through SQLAlchemy's Connection the pragma
        # would begin a transaction, whose snapshot would keep the log from ever starting over.
        try:
            connection = self._engine.raw_connection()
        except SQLAlchemyError as error:
            log.warning("SQLite checkpoints stopped (%s); the writer takes them over", error)
            return
        try:
            while not self._stopping:
                self._wake.wait(self._idle_seconds)
                self._wake.clear()
                if self._unchecked:
                    self._unchecked = 0
                    self._checkpoint(connection)
        finally:
            connection.close()

    def _checkpoint(self, connection: PoolProxiedConnection) -> None:
        cursor = connection.cursor()
        try:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            cursor.fetchall()
        except Exception as error:  # the driver's own errors: sqlite3.Error
            log.warning("an SQLite checkpoint failed (%s); trying again later", error)
        finally:
            cursor.close()
