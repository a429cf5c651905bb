"""SQLite's write-ahead log is copied back into the database file by a thread of its own."""

import asyncio
import shutil
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.store.checkpoint import WRITER_CHECKPOINT_PAGES
from bot.store.database import Database


def create_notes(session: Session) -> None:
    session.execute(text("CREATE TABLE notes (n INTEGER)"))


def add_note(session: Session, n: int) -> None:
    session.execute(text("INSERT INTO notes (n) VALUES (:n)"), {"n": n})


def notes_in_file_alone(database: Path, copy: Path) -> int:
    """The notes in the database file itself, without its write-ahead log."""
    shutil.copyfile(database, copy)
    with sqlite3.connect(copy) as connection:
        try:
            return int(connection.execute("SELECT count(*) FROM notes").fetchone()[0])
        except sqlite3.OperationalError:  # the table is not in the file yet
            return 0


def checkpoint_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "sqlite-checkpoint"}


async def test_commits_reach_the_database_file_without_the_writer_checkpointing(tmp_path):
    path = tmp_path / "bot.db"
    db = Database(f"sqlite:///{path}")
    try:
        await db.write(create_notes)
        for n in range(30):
            await db.write(add_note, n)
        # Thirty small commits are far below the writer's own checkpoint...
        assert WRITER_CHECKPOINT_PAGES > 31
        # ...and yet the thread copies them into the file.
        for _ in range(100):
            if notes_in_file_alone(path, tmp_path / "copy.db") == 30:
                break
            await asyncio.sleep(0.05)
        assert notes_in_file_alone(path, tmp_path / "copy.db") == 30
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
