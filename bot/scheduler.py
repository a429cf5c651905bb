"""APScheduler only ticks: once a minute it asks the daily service for due pushes, in batches,
hands them to the adapters, and records how sending went; every few seconds it asks the
interview service for questions whose time is up. What is due, and whether it was sent, lives
in the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.adapters.base import Adapter, DeliveryFailed
from bot.core.daily_service import DailyService, Push, PushOutcome
from bot.core.handler import Core
from bot.core.interview_service import InterviewService, RoundMessage
from bot.metrics import Metrics

__all__ = ["DailyTicker", "RoundTicker", "TickReport"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TickReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0


class DailyTicker:
    def __init__(
        self,
        core: Core,
        daily: DailyService,
        adapters: Mapping[str, Adapter],
        concurrency: int = 50,
        interval_seconds: int = 60,
        metrics: Metrics | None = None,
    ) -> None:
        self.core = core
        self.daily = daily
        self.metrics = metrics
        self.adapters = dict(adapters)
        self.concurrency = concurrency
        self.interval_seconds = interval_seconds
        self._scheduler: AsyncIOScheduler | None = None

    def start(self) -> None:
        # The tick runs in UTC whatever the host's zone; APScheduler's default misfire grace of
        # one second would drop a tick delayed by a busy loop.
        trigger = (
            CronTrigger(second=0, timezone=UTC)
            if self.interval_seconds == 60
            else IntervalTrigger(seconds=self.interval_seconds, timezone=UTC)
        )
        self._scheduler = _tick_with(
            self.tick,
            trigger,
            id="daily-tick",
            misfire_grace_time=max(1, self.interval_seconds - 10),
        )

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    async def tick(self) -> TickReport:
        """Send every push due now, claimed in batches until none is left.

        The next batch is claimed while the last pushes of the current one are still out, so
        the senders do not stand idle while a batch drains, is recorded and the next is claimed
        (benchmarks/daily_fanout.py, paid broadcast: with that gap, and claims of 200, the rate
        stayed near 850 of the 950 messages a second the limiter allows)."""
        try:
            await self.core.refresh_topics()
            await self.core.housekeeping()
            await self.daily.requeue_stale()
        except Exception:
            log.exception("housekeeping failed")
        platforms = frozenset(self.adapters)
        semaphore = asyncio.Semaphore(self.concurrency)
        batches: list[asyncio.Task[TickReport]] = []
        # A push that fails for now while the next batch is claimed waits for the next tick.
        started = self.daily.clock()
        try:
            pushes = await self.daily.claim_due(platforms, tick_started=started)
            while pushes:
                progress = _BatchProgress(size=len(pushes), tail=self.concurrency)
                batches.append(asyncio.create_task(self._send_batch(pushes, semaphore, progress)))
                await progress.nearly_done.wait()
                if progress.finished and not progress.progressed:
                    break  # transient trouble (the platform away?): the rest waits a tick
                pushes = await self.daily.claim_due(platforms, tick_started=started)
        finally:
            reports = await asyncio.gather(*batches, return_exceptions=True)
        total = TickReport()
        for report in reports:
            if isinstance(report, BaseException):
                raise report
            total = TickReport(
                sent=total.sent + report.sent,
                failed=total.failed + report.failed,
                retrying=total.retrying + report.retrying,
            )
        return total

    async def _send_batch(
        self, pushes: list[Push], semaphore: asyncio.Semaphore, progress: _BatchProgress
    ) -> TickReport:
        """Send a claimed batch, then record how each push went, in one transaction."""

        async def send(push: Push) -> PushOutcome:
            outcome = await self._send(push, semaphore)
            progress.count(outcome)
            return outcome

        try:
            outcomes = await asyncio.gather(*(send(push) for push in pushes))
        finally:
            progress.nearly_done.set()
        await self.daily.record(outcomes)
        sent = sum(1 for o in outcomes if o.error is None)
        failed = sum(1 for o in outcomes if o.error is not None and o.permanent)
        return TickReport(sent=sent, failed=failed, retrying=len(outcomes) - sent - failed)

    async def _send(self, push: Push, semaphore: asyncio.Semaphore) -> PushOutcome:
        async with semaphore:
            try:
                await self.adapters[push.platform].deliver(push.chat_id, push.replies)
            except DeliveryFailed as failure:
                log.warning(
                    "daily push to %s:%s failed (%s)", push.platform, push.chat_id, failure.reason
                )
                outcome = PushOutcome(push, failure.reason, failure.permanent)
            except Exception as error:
                log.exception("daily push to %s:%s failed", push.platform, push.chat_id)
                outcome = PushOutcome(push, f"{type(error).__name__}: {error}")
            else:
                outcome = PushOutcome(push)
            if self.metrics is not None:
                label = (
                    "sent" if outcome.error is None else "failed" if outcome.permanent else "retry"
                )
                self.metrics.pushes.labels(push.platform, label).inc()
            return outcome


@dataclass
class _BatchProgress:
    """How far a batch's sending has got; `nearly_done` once at most `tail` pushes are out."""

    size: int
    tail: int
    finished: int = 0
    progressed: int = 0  # sent, or failed for good
    nearly_done: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        if self.size <= self.tail:
            self.nearly_done.set()

    def count(self, outcome: PushOutcome) -> None:
        self.finished += 1
        if outcome.error is None or outcome.permanent:
            self.progressed += 1
        if self.size - self.finished <= self.tail:
            self.nearly_done.set()


class RoundTicker:
    """Every few seconds: time out the mock interview questions whose deadline passed, and send
    what follows (the next question, or the scorecard). Its first tick runs at start, so a
    deadline that passed while the bot was down counts as timed out at once."""

    def __init__(
        self,
        rounds: InterviewService,
        adapters: Mapping[str, Adapter],
        interval_seconds: float = 2,
    ) -> None:
        self.rounds = rounds
        self.adapters = dict(adapters)
        self.interval_seconds = interval_seconds
        self._scheduler: AsyncIOScheduler | None = None

    def start(self) -> None:
        self._scheduler = _tick_with(
            self.tick,
            IntervalTrigger(seconds=self.interval_seconds, timezone=UTC),
            id="interview-tick",
            next_run_time=datetime.now(UTC),
            misfire_grace_time=None,
        )

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    async def tick(self) -> int:
        """Claim and send every round step due now; how many were sent."""
        try:
            messages = await self.rounds.claim_due(frozenset(self.adapters))
        except Exception:
            log.exception("claiming interview deadlines failed")
            return 0
        results = await asyncio.gather(*(self._send(message) for message in messages))
        return sum(results)

    async def _send(self, message: RoundMessage) -> bool:
        try:
            await self.adapters[message.platform].deliver(message.chat_id, message.replies)
        except DeliveryFailed as failure:
            log.warning(
                "interview step to %s:%s failed (%s)",
                message.platform,
                message.chat_id,
                failure.reason,
            )
            return False
        except Exception:
            log.exception("interview step to %s:%s failed", message.platform, message.chat_id)
            return False
        return True


def _tick_with(
    tick: Callable[[], Awaitable[object]], trigger: BaseTrigger, **job: Any
) -> AsyncIOScheduler:
    """A scheduler running `tick` on `trigger`, in UTC, one run at a time (runs it missed
    while busy collapse into one)."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(tick, trigger, coalesce=True, max_instances=1, **job)
    scheduler.start()
    return scheduler
