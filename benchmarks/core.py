"""Core.handle throughput and latency with many people and the full content bank.

Drives `Core.handle` directly (no platform) with a realistic mix: `/quiz` (some with a topic),
the answer to each question asked (a choice button, or "Show answer" then a self-rating for a
card), and `/explain <query>` with typos. Every call is one event in one transaction, exactly as
an adapter would make it.

    uv run python benchmarks/core.py                       # 10,000 people, SQLite
    uv run python benchmarks/core.py --database-url postgresql://postgres@127.0.0.1:5432/test
    uv run python benchmarks/core.py --scale               # 1,000 / 10,000 / 100,000 people
    uv run python benchmarks/core.py --sqlite-thread       # SQLite on one thread, not inline

On SQLite it also replays, in the same run, every transaction the bot issued (the same
statements with the same parameters, captured by SQLAlchemy events) through the standard
library's sqlite3 on the same file, and prints that floor and the ratio bot/floor: a figure
that holds on a machine whose speed drifts.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.engine import make_url

from benchmarks._support import (
    bench_database,
    describe_backend,
    machine_reference,
    open_core,
    peak_rss_mb,
    percentile,
    seed_people,
)
from bot.core import actions
from bot.core.events import ButtonPress, ChatRef, Command, Event, PersonRef
from bot.core.handler import Core
from bot.core.replies import CardPrompt, ChoicePrompt, Reply
from bot.store.database import Database

PLATFORM = "telegram"
QUIZ_SHARE = 0.7  # of rounds; the rest are /explain
TOPIC_QUIZ_SHARE = 0.15  # of /quiz commands, `/quiz <topic>`
TYPO_SHARE = 0.3  # of /explain queries
RIGHT_SHARE = 0.7  # of choice answers
QUESTION_FORMS = ("{}", "what is {}", "how does {} work", "{} in python", "explain {}")


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)  # seconds, one per handle call
    finished: list[float] = field(default_factory=list)  # perf_counter at the end of each call
    by_kind: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    elapsed: float = 0.0
    statements: int = 0  # SQL statements executed (BEGIN included, COMMIT not)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def segment_rates(self, parts: int = 10) -> list[float]:
        """Commands per second in each successive tenth of the run (drift shows here)."""
        ends = sorted(self.finished)
        size = len(ends) // parts
        return [
            size / (ends[(i + 1) * size - 1] - ends[i * size]) if size > 1 else 0.0
            for i in range(parts)
        ]


# --- the workload -----------------------------------------------------------------------------


def typo(text: str, rng: random.Random) -> str:
    """One slip of the finger in one longer word: a swap, a drop or a double."""
    words = text.split()
    candidates = [i for i, word in enumerate(words) if len(word) > 3 and word.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    at = rng.randrange(1, len(word) - 1)
    slip = rng.choice(("swap", "drop", "double"))
    if slip == "swap":
        word = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
    elif slip == "drop":
        word = word[:at] + word[at + 1 :]
    else:
        word = word[:at] + word[at] + word[at:]
    words[i] = word
    return " ".join(words)


def explain_queries(core: Core, rng: random.Random, count: int = 2_000) -> list[str]:
    """What people type after /explain: topic names and aliases from the bank, as bare words or
    questions, some with a typo."""
    names = [
        name
        for topic in core.index.topics.values()
        for name in (topic.title, *topic.aliases)
        if name
    ]
    queries = []
    for _ in range(count):
        query = rng.choice(QUESTION_FORMS).format(rng.choice(names).lower())
        if rng.random() < TYPO_SHARE:
            query = typo(query, rng)
        queries.append(query[:200])
    return queries


@dataclass
class Driver:
    """Plays people using the bot; times every Core.handle call."""

    core: Core
    people: list[str]
    rng: random.Random
    queries: list[str]
    results: Results = field(default_factory=Results)

    async def call(self, kind: str, event: Event) -> list[Reply]:
        started = time.perf_counter()
        replies = await self.core.handle(event)
        finished = time.perf_counter()
        self.results.latencies.append(finished - started)
        self.results.finished.append(finished)
        self.results.by_kind[kind].append(finished - started)
        return replies

    async def round(self) -> None:
        """One person's turn: a quiz question and its answer, or an explanation."""
        pid = self.rng.choice(self.people)
        person = PersonRef(PLATFORM, pid, f"Person {pid}")
        chat = ChatRef(PLATFORM, pid)
        if self.rng.random() >= QUIZ_SHARE:
            await self.call(
                "/explain", Command(person, chat, "explain", self.rng.choice(self.queries))
            )
            return
        topic = ""
        if self.rng.random() < TOPIC_QUIZ_SHARE:
            topic = self.rng.choice(list(self.core.index.topics))
        replies = await self.call("/quiz", Command(person, chat, "quiz", topic))
        for reply in replies:
            if isinstance(reply, ChoicePrompt):
                option = reply.correct_index
                if self.rng.random() >= RIGHT_SHARE:
                    option = (option + 1) % len(reply.options)
                press = ButtonPress(person, chat, actions.answer(reply.ask_id, option))
                await self.call("answer", press)
            elif isinstance(reply, CardPrompt):
                await self.call("reveal", ButtonPress(person, chat, actions.reveal(reply.ask_id)))
                rating = self.rng.choice((1, 2, 3, 3, 3, 4))
                await self.call(
                    "rate", ButtonPress(person, chat, actions.rate(reply.ask_id, rating))
                )

    async def run(self, commands: int) -> None:
        while self.results.count < commands:
            await self.round()


async def drive(
    core: Core, people: list[str], commands: int, concurrency: int, seed: int
) -> Results:
    """Run `concurrency` drivers side by side until `commands` handle calls were made."""
    rng = random.Random(seed)
    queries = explain_queries(core, rng)
    drivers = [
        Driver(core, people, random.Random(seed + n + 1), queries) for n in range(concurrency)
    ]
    share = -(-commands // concurrency)
    started = time.perf_counter()
    await asyncio.gather(*(driver.run(share) for driver in drivers))
    elapsed = time.perf_counter() - started
    merged = Results(elapsed=elapsed)
    for driver in drivers:
        merged.latencies += driver.results.latencies
        merged.finished += driver.results.finished
        for kind, values in driver.results.by_kind.items():
            merged.by_kind[kind] += values
    return merged


@dataclass
class StatementLog:
    """Every statement the core sends, grouped by transaction (SQLAlchemy events; nothing is
    changed): (SQL, parameters, executemany)."""

    count: int = 0
    transactions: list[list[tuple[str, object, bool]]] = field(default_factory=list)
    _open: list[tuple[str, object, bool]] | None = None


def log_statements(db: Database) -> StatementLog:
    log = StatementLog()

    def on_execute(
        _conn: object, _cursor: object, statement: str, parameters: object, _ctx: object, many: bool
    ) -> None:
        log.count += 1
        if log._open is None:
            log._open = []
            log.transactions.append(log._open)
        log._open.append((statement, parameters, many))

    def on_end(*_args: object) -> None:
        log._open = None

    event.listen(db.engine, "before_cursor_execute", on_execute)
    event.listen(db.engine, "commit", on_end)
    event.listen(db.engine, "rollback", on_end)
    return log


def snapshot_sqlite(url: str) -> str:
    """A copy of the database as it is now, for the replay to start from the same state."""
    path = make_url(url).database or ""
    copy = f"{path}.floor"
    source, target = sqlite3.connect(path), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    return copy


def replay_floor(path: str, transactions: list[list[tuple[str, object, bool]]]) -> float:
    """Seconds the standard library's sqlite3 takes to run the same transactions on the same
    file, with the same pragmas: the floor under any Python code that issues them."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode=WAL",
        "busy_timeout=10000",
        "foreign_keys=ON",
        "synchronous=NORMAL",
    ):
        connection.execute(f"PRAGMA {pragma}")
    started = time.perf_counter()
    for statements in transactions:
        if not statements[0][0].startswith("BEGIN"):
            connection.execute("BEGIN")
        for sql, parameters, many in statements:
            if many:
                connection.executemany(sql, parameters).fetchall()  # type: ignore[arg-type]
            else:
                connection.execute(sql, parameters).fetchall()  # type: ignore[arg-type]
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


# --- runs -------------------------------------------------------------------------------------


async def measure(
    server_url: str | None,
    people_count: int,
    commands: int,
    warmup: int,
    concurrency: int,
    schedules_per_person: int,
    seed: int,
    sqlite_thread: bool = False,
) -> tuple[Results, float, float | None]:
    """A fresh database with `people_count` people; returns the measured run, the seeding time
    and, on SQLite, the seconds sqlite3 takes to replay the run's transactions."""
    async with bench_database(server_url) as url:
        core, db = await open_core(url, sqlite_thread=sqlite_thread)
        try:
            started = time.perf_counter()
            seeded = seed_people(
                db,
                people_count,
                now=datetime.now(UTC),
                schedules_per_person=schedules_per_person,
                rng=random.Random(seed),
            )
            seeding = time.perf_counter() - started
            await drive(core, seeded.platform_ids, warmup, 1, seed + 1000)
            snapshot = snapshot_sqlite(url) if db.is_sqlite else None
            statements = log_statements(db)
            results = await drive(core, seeded.platform_ids, commands, concurrency, seed)
            results.statements = statements.count
        finally:
            await core.close()
            await db.dispose()
        floor = None
        if snapshot is not None:
            floor = replay_floor(snapshot, statements.transactions)
        return results, seeding, floor


def report(people_count: int, results: Results, seeding: float, floor: float | None) -> None:
    lat = [v * 1000 for v in results.latencies]
    kinds = sorted(results.by_kind.items(), key=lambda item: -len(item[1]))
    mix = ", ".join(f"{kind} {len(values)}" for kind, values in kinds)
    print(f"people: {people_count:,} (seeded in {seeding:.1f} s)")
    print(f"commands handled: {results.count:,} in {results.elapsed:.2f} s ({mix})")
    print(f"commands per second: {results.rate:,.0f}")
    tenths = results.segment_rates()
    print(f"commands per second by tenth of the run: {' '.join(f'{r:.0f}' for r in tenths)}")
    print(f"SQL statements per command: {results.statements / results.count:.1f}")
    if floor is not None:
        floor_rate = results.count / floor
        print(
            f"floor (sqlite3 replaying the same transactions on the same file): "
            f"{floor:.2f} s = {floor_rate:,.0f} commands/s"
        )
        print(f"ratio bot/floor: {results.rate / floor_rate:.2f}")
    print(f"latency p50: {percentile(lat, 0.50):.2f} ms")
    print(f"latency p99: {percentile(lat, 0.99):.2f} ms")
    print(f"latency max: {max(lat):.2f} ms")
    for kind, values in kinds:
        ms = [v * 1000 for v in values]
        print(f"  {kind:<8} p50 {percentile(ms, 0.5):5.2f} ms, p99 {percentile(ms, 0.99):5.2f} ms")
    print(f"peak memory (ru_maxrss): {peak_rss_mb():.0f} MB")


async def main_async(args: argparse.Namespace) -> None:
    print(machine_reference())
    backend = describe_backend(args.database_url)
    print(f"Core.handle benchmark on {backend}; concurrency {args.concurrency}; seed {args.seed}")
    if args.sqlite_thread:
        print("SQLite work on one dedicated thread (--sqlite-thread), not inline")
    if not args.scale:
        results, seeding, floor = await measure(
            args.database_url,
            args.people,
            args.commands,
            args.warmup,
            args.concurrency,
            args.schedules_per_person,
            args.seed,
            args.sqlite_thread,
        )
        report(args.people, results, seeding, floor)
        return
    rows = []
    for people_count in args.scale_people:
        results, seeding, floor = await measure(
            args.database_url,
            people_count,
            args.commands,
            args.warmup,
            args.concurrency,
            args.schedules_per_person,
            args.seed,
            args.sqlite_thread,
        )
        lat = [v * 1000 for v in results.latencies]
        rows.append((people_count, results.rate, percentile(lat, 0.5), percentile(lat, 0.99)))
        ratio = f", bot/floor {results.rate * floor / results.count:.2f}" if floor else ""
        print(
            f"people {people_count:>7,}: {results.rate:6,.0f} commands/s, "
            f"p50 {rows[-1][2]:.2f} ms, p99 {rows[-1][3]:.2f} ms{ratio} "
            f"(seeded in {seeding:.1f} s, {results.count:,} commands)"
        )
    rates = [row[1] for row in rows]
    print(f"rate spread across sizes: slowest/fastest = {min(rates) / max(rates):.2f}")
    print(f"peak memory (ru_maxrss): {peak_rss_mb():.0f} MB")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000, help="people in the database")
    parser.add_argument("--commands", type=int, default=10_000, help="handle calls measured")
    parser.add_argument("--warmup", type=int, default=1_000, help="handle calls not measured")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="simulated people acting at the same time"
    )
    parser.add_argument(
        "--schedules-per-person",
        type=int,
        default=5,
        help="FSRS schedules (and reviews) seeded per person, about a third of them due",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server URL (a fresh bench_* database is made on it and dropped); "
        "default: a SQLite file in a temp directory",
    )
    parser.add_argument("--scale", action="store_true", help="run at several sizes")
    parser.add_argument(
        "--scale-people",
        type=int,
        nargs="+",
        default=[1_000, 10_000, 100_000],
        help="sizes for --scale",
    )
    parser.add_argument(
        "--sqlite-thread",
        action="store_true",
        help="run SQLite work on one dedicated thread instead of inline on the event loop",
    )
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def main() -> None:
    asyncio.run(main_async(parse_args()))


if __name__ == "__main__":
    main()
