"""Queries behind the daily question: subscriptions due, claim rows, and stale claims."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import Enum

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from bot.store.models import Chat, Delivery, Person, Subscription
from bot.store.queries import insert_ignore

__all__ = [
    "Claim",
    "claim_delivery",
    "deliveries",
    "due_subscriptions",
    "stale_claims",
    "subscription_for_chat",
]


def subscription_for_chat(session: Session, chat_id: int) -> Subscription | None:
    return session.execute(
        select(Subscription).where(Subscription.chat_id == chat_id)
    ).scalar_one_or_none()


def due_subscriptions(
    session: Session, now: datetime, platforms: frozenset[str], limit: int
) -> Sequence[tuple[Subscription, Chat, Person | None]]:
    """Active subscriptions due by `now` on these platforms, oldest first, with their chat and
    person. On PostgreSQL the rows are locked, and rows another process holds are skipped, so
    two processes claiming at once take different batches."""
    statement = (
        select(Subscription, Chat, Person)
        .join(Chat, Chat.id == Subscription.chat_id)
        .outerjoin(Person, Person.id == Subscription.person_id)
        .where(
            Subscription.active.is_(True),
            Subscription.next_push_at <= now,
            Chat.platform.in_(platforms),
        )
        .order_by(Subscription.next_push_at, Subscription.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True, of=Subscription)
    return [(row[0], row[1], row[2]) for row in session.execute(statement).all()]


class Claim(Enum):
    WON = "won"  # this claimant sends it
    TAKEN = "taken"  # sent, failed for good, or another claimant's
    LATER = "later"  # failed for now since `retry_claimed_before`: due again at a later tick


def claim_delivery(
    session: Session, subscription_id: int, day: date, now: datetime, retry_claimed_before: datetime
) -> Claim:
    """Claim the (subscription, local date) delivery; WON for the one claimant that wins.

    A delivery left to retry can be claimed again, once its last claim is older than
    `retry_claimed_before` (a push that just failed for now waits for the next tick)."""
    won = insert_ignore(
        session,
        Delivery,
        {
            "subscription_id": subscription_id,
            "local_date": day,
            "status": "claimed",
            "attempts": 1,
            "claimed_at": now,
        },
        ["subscription_id", "local_date"],
    )
    if won:
        return Claim.WON
    key = (Delivery.subscription_id == subscription_id, Delivery.local_date == day)
    result = session.execute(
        update(Delivery)
        .where(*key, Delivery.status == "retry", Delivery.claimed_at < retry_claimed_before)
        .values(status="claimed", attempts=Delivery.attempts + 1, claimed_at=now)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return Claim.WON
    status = session.execute(select(Delivery.status).where(*key)).scalar_one_or_none()
    return Claim.LATER if status == "retry" else Claim.TAKEN


def stale_claims(
    session: Session, claimed_before: datetime
) -> Sequence[tuple[Delivery, Subscription]]:
    """Deliveries still 'claimed' since before the cutoff, with their subscriptions."""
    return [
        (row[0], row[1])
        for row in session.execute(
            select(Delivery, Subscription)
            .join(Subscription, Subscription.id == Delivery.subscription_id)
            .where(Delivery.status == "claimed", Delivery.claimed_at < claimed_before)
        ).all()
    ]


def deliveries(
    session: Session, keys: Sequence[tuple[int, date]]
) -> dict[tuple[int, date], tuple[Delivery, Subscription]]:
    """The deliveries with these (subscription id, local date) keys, with their subscriptions."""
    if not keys:
        return {}
    rows = session.execute(
        select(Delivery, Subscription)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(tuple_(Delivery.subscription_id, Delivery.local_date).in_(list(keys)))
    ).all()
    return {(row[0].subscription_id, row[0].local_date): (row[0], row[1]) for row in rows}
