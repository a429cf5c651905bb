"""SQLite's write-ahead log is copied back into the database file by a thread of its own."""

import asyncio
import threading

from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.store.checkpoint import WRITER_CHECKPOINT_PAGES
from bot.store.database import Database

PAGE = 4096


def create_notes(session: Session) -> None:
    session.execute(text("CREATE TABLE notes (body TEXT)"))


def add_note(session: Session) -> None:
    session.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": "x" * PAGE})


def checkpoint_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "sqlite-checkpoint"}


async def test_commits_reach_the_database_file_without_the_writer_checkpointing(tmp_path):
    path = tmp_path / "bot.db"
    db = Database(f"sqlite:///{path}")
    try:
        await db.write(create_notes)
        for _ in range(30):
            await db.write(add_note)
        # Thirty pages are far below the writer's own checkpoint: until copied back, they are
        # only in the write-ahead log, and the database file stays small.
        assert WRITER_CHECKPOINT_PAGES > 30 * 2
        for _ in range(100):
            if path.stat().st_size >= 30 * PAGE:
                break
            await asyncio.sleep(0.05)
        assert path.stat().st_size >= 30 * PAGE
    finally:
        await db.dispose()


async def test_dispose_stops_the_checkpoint_thread(tmp_path):
    before = checkpoint_threads()
    db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    await db.write(create_notes)
    started = checkpoint_threads() - before
    assert started
    await db.dispose()
    assert not started & checkpoint_threads()


async def test_an_in_memory_database_has_no_checkpoint_thread():
    before = checkpoint_threads()
    db = Database("sqlite:///:memory:")
    await db.write(create_notes)
    assert checkpoint_threads() == before
    await db.dispose()
