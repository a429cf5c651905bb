"""APScheduler only ticks: once a minute it asks the core for due daily pushes and hands them
to the adapters. What is due, and whether it was sent, lives in the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.adapters.base import Adapter, DeliveryFailed
from bot.core.daily import Push
from bot.core.handler import Core

__all__ = ["DailyTicker", "TickReport"]

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
        adapters: Mapping[str, Adapter],
        concurrency: int = 50,
        interval_seconds: int = 60,
    ) -> None:
        self.core = core
        self.adapters = dict(adapters)
        self.concurrency = concurrency
        self.interval_seconds = interval_seconds
        self._scheduler: AsyncIOScheduler | None = None

    def start(self) -> None:
        # The tick runs in UTC whatever the host's zone; APScheduler's default misfire grace of
        # one second would drop a tick delayed by a busy loop.
        scheduler = AsyncIOScheduler(timezone=UTC)
        trigger = (
            CronTrigger(second=0, timezone=UTC)
            if self.interval_seconds == 60
            else IntervalTrigger(seconds=self.interval_seconds, timezone=UTC)
        )
        scheduler.add_job(
            self.tick,
            trigger,
            id="daily-tick",
            misfire_grace_time=max(1, self.interval_seconds - 10),
            coalesce=True,
            max_instances=1,
        )
        scheduler.start()
        self._scheduler = scheduler

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    async def tick(self) -> TickReport:
        """Send every push due now; claims are made in batches until none is left."""
        try:
            await self.core.refresh_topics()
            await self.core.housekeeping()
        except Exception:
            log.exception("housekeeping failed")
        total = TickReport()
        platforms = frozenset(self.adapters)
        if not platforms:
            return total
        while True:
            pushes = await self.core.claim_daily(platforms)
            if not pushes:
                return total
            semaphore = asyncio.Semaphore(self.concurrency)
            outcomes = await asyncio.gather(*(self._send(push, semaphore) for push in pushes))
            total = TickReport(
                sent=total.sent + outcomes.count("sent"),
                failed=total.failed + outcomes.count("failed"),
                retrying=total.retrying + outcomes.count("retry"),
            )
            if all(outcome == "retry" for outcome in outcomes):
                return total  # transient trouble: try again at the next tick

    async def _send(self, push: Push, semaphore: asyncio.Semaphore) -> str:
        async with semaphore:
            try:
                await self.adapters[push.platform].deliver(push.chat_id, push.replies)
            except DeliveryFailed as failure:
                log.warning(
                    "daily push to %s:%s failed (%s)", push.platform, push.chat_id, failure.reason
                )
                await self.core.record_push(push, failure.reason, failure.permanent)
                outcome = "failed" if failure.permanent else "retry"
            except Exception as error:
                log.exception("daily push to %s:%s failed", push.platform, push.chat_id)
                await self.core.record_push(push, f"{type(error).__name__}: {error}", False)
                outcome = "retry"
            else:
                await self.core.record_push(push, None, False)
                outcome = "sent"
            if self.core.metrics is not None:
                self.core.metrics.pushes.labels(push.platform, outcome).inc()
            return outcome
