"""Shared benchmark plumbing: a throwaway database, the real core over the real bank, bulk
seeding of people and schedules, and small statistics helpers."""

from __future__ import annotations

import random
import resource
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, make_url

from bot.app import build_core, open_store
from bot.config import load_settings, to_driver_url
from bot.core.handler import Core
from bot.metrics import Metrics
from bot.store.database import Database
from bot.store.models import Chat, Person, Question, Review, Schedule, Subscription
from tests.postgres_admin import admin_execute

__all__ = [
    "SeededPeople",
    "bench_database",
    "describe_backend",
    "machine_reference",
    "open_core",
    "peak_rss_mb",
    "percentile",
    "seed_people",
    "seed_subscriptions",
]

PLATFORM = "telegram"
_BATCH = 5_000


# --- databases --------------------------------------------------------------------------------


@asynccontextmanager
async def bench_database(server_url: str | None) -> AsyncIterator[str]:
    """A fresh database URL: a SQLite file in a temp directory (no URL, or a sqlite URL), or a
    new `bench_<random>` database on the given PostgreSQL server, dropped afterwards."""
    if server_url is None or make_url(to_driver_url(server_url)).get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="revision-bench-") as directory:
            yield f"sqlite:///{Path(directory) / 'bench.db'}"
        return
    base = make_url(to_driver_url(server_url))
    base_url = base.render_as_string(hide_password=False)
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin_execute(base_url, f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        admin_execute(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def describe_backend(url: str | None) -> str:
    if url is None:
        return "SQLite (temp file)"
    return make_url(to_driver_url(url)).get_backend_name()


async def open_core(database_url: str, *, sqlite_thread: bool = False) -> tuple[Core, Database]:
    """The bot's own wiring: migrate, sync the real content/ bank, build the core with metrics.
    The caller disposes the database."""
    settings = load_settings(database_url=database_url)
    db = await open_store(settings, sqlite_thread=sqlite_thread)
    return await build_core(settings, db, Metrics()), db


# --- seeding ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededPeople:
    platform_ids: list[str]  # also the private chat ids
    person_ids: dict[str, int]  # platform id -> people.id
    chat_ids: dict[str, int]  # platform id -> chats.id
    schedules: int
    reviews: int


def _insert_rows(connection: Connection, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _BATCH):
        connection.execute(insert(table), list(rows[start : start + _BATCH]))


def seed_people(
    db: Database,
    count: int,
    *,
    now: datetime,
    schedules_per_person: int = 0,
    rng: random.Random | None = None,
    first_id: int = 1_000_000,
) -> SeededPeople:
    """`count` Telegram people, each with a private chat and, if asked, some FSRS schedules
    (about a third of them due) and one review per schedule, in bulk through SQLAlchemy Core."""
    rng = rng or random.Random(1)
    platform_ids = [str(first_id + n) for n in range(count)]
    with db.engine.begin() as connection:
        _insert_rows(
            connection,
            Person.__table__,
            [
                {
                    "platform": PLATFORM,
                    "platform_id": pid,
                    "display_name": f"Person {pid}",
                    "unreachable": False,
                    "created_at": now - timedelta(days=30),
                }
                for pid in platform_ids
            ],
        )
        _insert_rows(
            connection,
            Chat.__table__,
            [
                {"platform": PLATFORM, "platform_chat_id": pid, "is_group": False, "title": ""}
                for pid in platform_ids
            ],
        )
        person_ids = _id_map(connection, Person.__table__, Person.platform_id)
        chat_ids = _id_map(connection, Chat.__table__, Chat.platform_chat_id)
        questions = list(
            connection.execute(select(Question.id).where(Question.retired.is_(False)))
            .scalars()
            .all()
        )
        schedules = reviews = 0
        for start in range(0, len(platform_ids) if schedules_per_person else 0, 1_000):
            chunk = platform_ids[start : start + 1_000]
            rows = [
                _history(rng, person_ids[pid], chat_ids[pid], question_id, now)
                for pid in chunk
                for question_id in rng.sample(questions, schedules_per_person)
            ]
            _insert_rows(connection, Schedule.__table__, [row[0] for row in rows])
            _insert_rows(connection, Review.__table__, [row[1] for row in rows])
            schedules += len(rows)
            reviews += len(rows)
    return SeededPeople(platform_ids, person_ids, chat_ids, schedules, reviews)


def _history(
    rng: random.Random, person_id: int, chat_id: int, question_id: str, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A schedule row (a third of them due now) and the review that produced it."""
    last = now - timedelta(days=rng.uniform(1, 20))
    schedule = {
        "person_id": person_id,
        "question_id": question_id,
        "state": 2,
        "step": None,
        "stability": rng.uniform(1, 30),
        "difficulty": rng.uniform(1, 10),
        "due": now + timedelta(days=rng.uniform(-3, 6)),
        "last_review": last,
    }
    correct = rng.random() < 0.7
    review = {
        "ask_id": None,
        "person_id": person_id,
        "chat_id": chat_id,
        "question_id": question_id,
        "rating": 3 if correct else 1,
        "correct": correct,
        "reviewed_at": last,
        "local_date": last.date(),
    }
    return schedule, review


def seed_subscriptions(db: Database, people: SeededPeople, *, due_at: datetime) -> int:
    """A daily subscription for each seeded person's private chat, all due at `due_at`."""
    rows = [
        {
            "chat_id": people.chat_ids[pid],
            "person_id": people.person_ids[pid],
            "hour": due_at.hour,
            "minute": due_at.minute,
            "timezone": "UTC",
            "active": True,
            "paused_reason": None,
            "next_push_at": due_at,
            "created_at": due_at - timedelta(days=7),
        }
        for pid in people.platform_ids
    ]
    with db.engine.begin() as connection:
        _insert_rows(connection, Subscription.__table__, rows)
    return len(rows)


def _id_map(connection: Connection, table: Any, key: Any) -> dict[str, int]:
    result = connection.execute(select(table.c.id, key).where(table.c.platform == PLATFORM))
    return {platform_id: row_id for row_id, platform_id in result.all()}


# --- figures ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of unsorted values (fraction 0..1)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[rank]


def machine_reference() -> str:
    """This machine's speed right now, to compare runs by (shared virtual machines vary from
    hour to hour): a fixed pure-Python loop, and a raw sqlite3 SELECT 1 on an in-memory
    database. Print it first; read every figure against it."""
    import sqlite3

    started = time.perf_counter()
    total = 0
    for n in range(5_000_000):
        total += n
    loop = time.perf_counter() - started
    connection = sqlite3.connect(":memory:")
    started = time.perf_counter()
    for _ in range(20_000):
        connection.execute("SELECT 1").fetchall()
    select_one = (time.perf_counter() - started) / 20_000
    connection.close()
    return (
        f"machine reference: 5M-step Python loop {loop:.2f} s; "
        f"sqlite3 SELECT 1 {select_one * 1e6:.1f} µs"
    )


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
