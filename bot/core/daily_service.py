"""The daily push, claimed and recorded in batches: one write transaction claims up to a batch
of due pushes, another records how their sending went.

A push is claimed with a unique (subscription, local date) row before it is sent, so of several
processes exactly one sends it. A claim that is never recorded (the process died mid-send) goes
back in the queue after `STALE_CLAIM`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fsrs import Scheduler
from sqlalchemy.orm import Session

from bot.core.catalog import Catalog
from bot.core.clock import Clock
from bot.core.daily import prepare_push
from bot.core.pushtime import following_push, push_day, push_instant, skip_missed
from bot.core.replies import Reply
from bot.core.turn import Turn
from bot.store import daily as store
from bot.store.database import Database, Tx
from bot.store.models import Chat, Delivery, Person, Subscription
from bot.store.queries import pause_chat
from bot.store.rows import chat_row, person_row

__all__ = ["STALE_CLAIM", "DailyService", "Push", "PushOutcome"]

STALE_CLAIM = timedelta(minutes=5)


@dataclass(frozen=True)
class Push:
    """A claimed daily push: where it goes and what it says."""

    subscription_id: int
    local_date: date
    platform: str
    chat_id: str
    replies: tuple[Reply, ...]


@dataclass(frozen=True)
class PushOutcome:
    """How sending went: sent (no error), failed for good (`permanent`), or failed for now."""

    push: Push
    error: str | None = None
    permanent: bool = False


class DailyService:
    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        scheduler: Scheduler,
        clock: Clock,
        *,
        grace: timedelta = timedelta(hours=6),
        batch_size: int = 50,
    ) -> None:
        # A claim runs on the event loop (SQLite) for about half a millisecond per push. 50 keep
        # each claim short enough that the paid-broadcast limiter's burst of 10 covers it; with
        # 200 its spacing lost what came due while the loop was busy (850 of 950 messages a
        # second in benchmarks/daily_fanout.py, against 955 with 50).
        self.db = db
        self.catalog = catalog
        self.scheduler = scheduler
        self.clock = clock
        self.grace = grace
        self.batch_size = batch_size

    async def requeue_stale(self) -> int:
        """Claims left by a process that died before recording them go back in the queue."""
        return await self.db.write(_requeue_stale, self.clock())

    async def claim_due(
        self, platforms: frozenset[str], *, tick_started: datetime | None = None
    ) -> list[Push]:
        """Claim up to a batch of the pushes due now on these platforms. A push claimed since
        `tick_started` (this tick's, if it failed for now) waits for the next tick."""
        if not platforms:
            return []
        now = self.clock()
        return await self.db.write_tx(self._claim, platforms, now, tick_started or now)

    async def record(self, outcomes: Sequence[PushOutcome]) -> None:
        if outcomes:
            await self.db.write(_record, outcomes, self.clock())

    def _claim(
        self, tx: Tx, platforms: frozenset[str], now: datetime, tick_started: datetime
    ) -> list[Push]:
        session = tx.session
        pushes: list[Push] = []
        due = store.due_subscriptions(session, now, platforms, self.batch_size)
        # Nothing below reads a subscription's next push back from the database: the batch's
        # new push times are written together when the transaction ends, not one by one.
        with session.no_autoflush:
            for subscription, chat, person in due:
                push = self._claim_one(tx, subscription, chat, person, now, tick_started)
                if push is not None:
                    pushes.append(push)
        return pushes

    def _claim_one(
        self,
        tx: Tx,
        subscription: Subscription,
        chat: Chat,
        person: Person | None,
        now: datetime,
        tick_started: datetime,
    ) -> Push | None:
        zone, hour, minute = subscription.timezone, subscription.hour, subscription.minute
        subscription.next_push_at = skip_missed(
            subscription.next_push_at, hour, minute, zone, now, self.grace
        )
        if subscription.next_push_at > now or person is None:
            return None
        day = push_day(subscription.next_push_at, zone)
        claim = store.claim_delivery(tx.session, subscription.id, day, now, tick_started)
        if claim is store.Claim.LATER:
            return None  # still due: the next tick tries it again
        subscription.next_push_at = following_push(subscription.next_push_at, hour, minute, zone)
        if claim is not store.Claim.WON:
            return None
        turn = Turn(tx, person_row(person), chat_row(chat), now, self.catalog, self.scheduler)
        return Push(subscription.id, day, chat.platform, chat.platform_chat_id, prepare_push(turn))


def _requeue_stale(session: Session, now: datetime) -> int:
    stale = store.stale_claims(session, now - STALE_CLAIM)
    for delivery, subscription in stale:
        delivery.status = "retry"
        subscription.next_push_at = _push_of(delivery, subscription)
    return len(stale)


def _record(session: Session, outcomes: Sequence[PushOutcome], now: datetime) -> None:
    """Sent; failed for good (pause the chat); or failed for now (due again at once, retried
    by the next ticks while the grace window lasts)."""
    found = store.deliveries(
        session, [(o.push.subscription_id, o.push.local_date) for o in outcomes]
    )
    for outcome in outcomes:
        push, error = outcome.push, outcome.error
        row = found.get((push.subscription_id, push.local_date))
        if row is None:
            continue
        delivery, subscription = row
        if error is None:
            delivery.status, delivery.sent_at, delivery.error = "sent", now, None
        elif outcome.permanent:
            delivery.status, delivery.error = "failed", error[:500]
            pause_chat(session, push.platform, push.chat_id, error)
        else:
            delivery.status, delivery.error = "retry", error[:500]
            subscription.next_push_at = _push_of(delivery, subscription)


def _push_of(delivery: Delivery, subscription: Subscription) -> datetime:
    return push_instant(
        delivery.local_date, subscription.hour, subscription.minute, subscription.timezone
    )
