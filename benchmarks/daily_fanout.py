"""The daily question's fan-out: many subscribers due in the same minute, one DailyTicker tick.

1. Throughput: 10,000 private-chat subscribers (people, chats, subscriptions and a few FSRS
   schedules inserted in bulk, next push due now), one `DailyTicker.tick()` through the real
   TelegramAdapter with no rate limiter, against a FakeTelegram in a child process.
2. Flood limit: 300 subscribers through build_application's RetryingRateLimiter (Telegram's
   30 msg/s overall, waits out 429s) against a fake that answers 429 to any message that would
   make more than 30 messages in the last second (a sliding one-second window).
3. Paid broadcast (TELEGRAM_PAID_BROADCAST=true): 2,000 subscribers through the same limiter,
   pushes sent with allow_paid_broadcast, against a fake that allows 1,000 messages a second.

"Database work" is the time the tick spends claiming and recording pushes (DailyService), the
bot's own overhead apart from HTTP.

A private daily push is a header message and a quiz poll for a choice question, or one message
for a card, so messages outnumber pushes.

    uv run python benchmarks/daily_fanout.py [--subscribers 10000] [--limited-subscribers 300]
        [--paid-subscribers 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks._fake_telegram import FakeProcess, start_fake, stop_fake
from benchmarks._support import (
    bench_database,
    describe_backend,
    machine_reference,
    open_core,
    peak_rss_mb,
    seed_people,
    seed_subscriptions,
)
from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram_transport import build_application
from bot.app import build_daily
from bot.config import load_settings
from bot.core.daily_service import DailyService, Push, PushOutcome
from bot.scheduler import DailyTicker, TickReport

TELEGRAM_LIMIT = 30  # messages per second, the fake's flood limit in part 2
PAID_LIMIT = 1_000  # messages per second with allow_paid_broadcast, the fake's limit in part 3


@dataclass(frozen=True)
class TickRun:
    subscribers: int
    report: TickReport
    seconds: float
    claim_seconds: float  # of `seconds`, spent claiming and recording (database work)
    messages: int
    message_seconds: float  # first to last message the fake accepted
    too_many: int
    bot_cpu: float  # CPU seconds this process used during the tick
    fake_cpu: float  # CPU seconds the fake's process used during the tick

    @property
    def pushes_per_second(self) -> float:
        return self.report.sent / self.seconds

    @property
    def own_pushes_per_second(self) -> float:
        return self.report.sent / self.claim_seconds if self.claim_seconds else 0.0

    @property
    def message_rate(self) -> float:
        return self.messages / self.message_seconds if self.message_seconds else 0.0


@dataclass
class ClaimTimer:
    seconds: float = 0.0


def time_claims(daily: DailyService) -> ClaimTimer:
    """Add up the time the tick spends claiming and recording (the real methods, only timed)."""
    timer = ClaimTimer()
    claim_due, record = daily.claim_due, daily.record

    async def timed_claim(platforms: frozenset[str], **kwargs: Any) -> list[Push]:
        started = time.perf_counter()
        try:
            return await claim_due(platforms, **kwargs)
        finally:
            timer.seconds += time.perf_counter() - started

    async def timed_record(outcomes: list[PushOutcome]) -> None:
        started = time.perf_counter()
        try:
            await record(outcomes)
        finally:
            timer.seconds += time.perf_counter() - started

    daily.claim_due = timed_claim  # type: ignore[method-assign]
    daily.record = timed_record  # type: ignore[method-assign,assignment]
    return timer


async def one_tick(
    server_url: str | None,
    subscribers: int,
    *,
    max_per_second: int | None,
    rate_limited: bool,
    schedules_per_person: int,
    seed: int,
    paid_broadcast: bool = False,
) -> TickRun:
    """Seed `subscribers` due now, run one tick against a fresh fake, return what happened."""
    fake = await start_fake(max_per_second)
    try:
        async with bench_database(server_url) as url:
            core, db = await open_core(url)
            try:
                now = datetime.now(UTC)
                people = seed_people(
                    db,
                    subscribers,
                    now=now,
                    schedules_per_person=schedules_per_person,
                    rng=random.Random(seed),
                )
                seed_subscriptions(db, people, due_at=now - timedelta(seconds=30))
                application = build_application(fake.token, fake.base_url, limited=rate_limited)
                await application.initialize()
                try:
                    adapter = TelegramAdapter(core, application, paid_broadcast=paid_broadcast)
                    daily = build_daily(load_settings(database_url=url), db, core.catalog)
                    ticker = DailyTicker(core, daily, {"telegram": adapter})
                    claim_timer = time_claims(daily)
                    fake_cpu_before, bot_cpu_before = cpu_seconds(fake), time.process_time()
                    started = time.perf_counter()
                    report = await ticker.tick()
                    seconds = time.perf_counter() - started
                    bot_cpu = time.process_time() - bot_cpu_before
                    fake_cpu = cpu_seconds(fake) - fake_cpu_before
                finally:
                    await application.shutdown()
            finally:
                await core.close()
                await db.dispose()
        state = await fake.state()
    finally:
        stop_fake(fake)
    return TickRun(
        subscribers,
        report,
        seconds,
        claim_timer.seconds,
        state["messages"],
        state["last_reply_at"] - state["first_reply_at"],
        state["too_many"],
        bot_cpu,
        fake_cpu,
    )


def cpu_seconds(fake: FakeProcess) -> float:
    """CPU time (user + system) the fake's process has used so far, from /proc."""
    with open(f"/proc/{fake.process.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def print_limited(title: str, run: TickRun) -> None:
    """What a rate-limited tick achieved, as the fake saw it."""
    report = run.report
    print(title)
    print(f"  sent {report.sent:,}, failed {report.failed}, retrying {report.retrying}")
    print(
        f"  tick time: {run.seconds:.2f} s ({run.pushes_per_second:.1f} pushes/s, "
        f"database work {run.claim_seconds:.2f} s of it)"
    )
    print(
        f"  achieved rate: {run.message_rate:.1f} messages/s ({run.messages:,} messages accepted)"
    )
    print(f"  429s returned by the fake: {run.too_many}")
    print_cpu(run)


def print_cpu(run: TickRun) -> None:
    """Which side the HTTP traffic saturates: a process near one CPU second per second is the
    ceiling (the machine has two cores for both)."""
    print(
        f"  CPU during the tick: bot {run.bot_cpu / run.seconds:.2f} s/s, "
        f"fake {run.fake_cpu / run.seconds:.2f} s/s"
    )


async def main_async(args: argparse.Namespace) -> None:
    print(machine_reference())
    backend = describe_backend(args.database_url)
    print(f"Daily fan-out benchmark on {backend}; FakeTelegram in a child process")

    free = await one_tick(
        args.database_url,
        args.subscribers,
        max_per_second=None,
        rate_limited=False,
        schedules_per_person=args.schedules_per_person,
        seed=args.seed,
    )
    report = free.report
    print(f"part 1: {args.subscribers:,} subscribers due in the same minute, no rate limiter")
    print(f"  sent {report.sent:,}, failed {report.failed}, retrying {report.retrying}")
    print(f"  tick time: {free.seconds:.2f} s (database work {free.claim_seconds:.2f} s of it)")
    print(f"  pushes per second, whole tick: {free.pushes_per_second:,.0f}")
    print(f"  pushes per second, own overhead (database work): {free.own_pushes_per_second:,.0f}")
    print(
        f"  messages per second (fake side): {free.message_rate:,.0f} ({free.messages:,} messages)"
    )
    print_cpu(free)

    limited = await one_tick(
        args.database_url,
        args.limited_subscribers,
        max_per_second=TELEGRAM_LIMIT,
        rate_limited=True,
        schedules_per_person=args.schedules_per_person,
        seed=args.seed + 1,
    )
    print_limited(
        f"part 2: {args.limited_subscribers:,} subscribers through RetryingRateLimiter, fake "
        f"answering 429 above {TELEGRAM_LIMIT} messages in any second",
        limited,
    )

    paid = await one_tick(
        args.database_url,
        args.paid_subscribers,
        max_per_second=PAID_LIMIT,
        rate_limited=True,
        schedules_per_person=args.schedules_per_person,
        seed=args.seed + 2,
        paid_broadcast=True,
    )
    print_limited(
        f"part 3: {args.paid_subscribers:,} subscribers with TELEGRAM_PAID_BROADCAST, fake "
        f"answering 429 above {PAID_LIMIT} messages in any second",
        paid,
    )
    print(f"peak memory (ru_maxrss): {peak_rss_mb():.0f} MB")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000, help="part 1 subscribers")
    parser.add_argument(
        "--limited-subscribers", type=int, default=300, help="part 2 subscribers (rate limited)"
    )
    parser.add_argument(
        "--paid-subscribers", type=int, default=2_000, help="part 3 subscribers (paid broadcast)"
    )
    parser.add_argument(
        "--schedules-per-person", type=int, default=3, help="FSRS schedules seeded per person"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server URL (a fresh bench_* database is made on it and dropped); "
        "default: a SQLite file in a temp directory",
    )
    parser.add_argument("--seed", type=int, default=3)
    return parser.parse_args()


def main() -> None:
    asyncio.run(main_async(parse_args()))


if __name__ == "__main__":
    main()
