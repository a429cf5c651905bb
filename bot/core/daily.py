"""The daily question: `/daily`, and which pushes are due, claimed once, and recorded.

Times are kept as the person wrote them (local hour and minute, an IANA zone); the next push is
stored in UTC. A day is counted in local dates, so daylight-saving changes neither skip nor
double one: each local date gets exactly one push instant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import quiz
from bot.core.replies import Message, Reply
from bot.core.stats import person_streak
from bot.core.timefmt import humanize_delta
from bot.core.turn import Turn
from bot.store.models import Chat, Delivery, Subscription
from bot.store.queries import insert_ignore

__all__ = [
    "DailySetting",
    "Push",
    "claim",
    "daily_command",
    "due_subscription_ids",
    "next_push_after",
    "parse_daily",
    "prepare_push",
    "record_delivery",
    "requeue_stale_claims",
    "skip_missed",
]

# The terminal has nobody to push to: it only answers.
UNPUSHABLE = frozenset({"console"})
STALE_CLAIM = timedelta(minutes=5)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
USAGE = (
    "Use `/daily HH:MM Area/City`, for example `/daily 07:30 Europe/Berlin` or `/daily 21:00 UTC`; "
    "`/daily` shows your setting and `/daily off` stops it."
)


@dataclass(frozen=True)
class DailySetting:
    hour: int
    minute: int
    zone: str | None


def parse_daily(args: str) -> DailySetting | str | None:
    """'07:30 Europe/Berlin' -> DailySetting; 'off' -> 'off'; '' -> None (show).

    Raises ValueError with a plain explanation for anything else.
    """
    words = args.split()
    if not words:
        return None
    if len(words) == 1 and words[0].lower() in {"off", "stop"}:
        return "off"
    if len(words) > 2:
        raise ValueError(f"I could not read “{args[:60]}”. {USAGE}")
    match = _TIME.match(words[0])
    if not match:
        raise ValueError(f"“{words[0][:20]}” is not a time like 07:30. {USAGE}")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"“{words[0]}” is not a time of day (00:00 to 23:59). {USAGE}")
    zone = words[1] if len(words) == 2 else None
    if zone is not None:
        zone = canonical_zone(zone)
    return DailySetting(hour, minute, zone)


def canonical_zone(name: str) -> str:
    if name.upper() in {"UTC", "GMT", "Z"}:
        return "UTC"
    if "/" not in name or name.startswith("/") or ".." in name:
        raise ValueError(
            f"“{name[:40]}” is not a time zone; use Area/City like Europe/Berlin. {USAGE}"
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"I do not know the time zone “{name[:40]}”. {USAGE}") from None
    return name


def push_instant(local_day: date, hour: int, minute: int, zone: str) -> datetime:
    """The UTC instant of hh:mm on a local date (a time skipped by DST lands just after)."""
    return datetime.combine(local_day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(
        ZoneInfo("UTC")
    )


def next_push_after(now: datetime, hour: int, minute: int, zone: str) -> datetime:
    """The first push instant at or after `now`."""
    today = now.astimezone(ZoneInfo(zone)).date()
    for offset in range(3):
        candidate = push_instant(today + timedelta(days=offset), hour, minute, zone)
        if candidate >= now:
            return candidate
    raise AssertionError("a push is always found within three days")


def push_day(subscription: Subscription) -> date:
    """The local date the subscription's next push belongs to."""
    return subscription.next_push_at.astimezone(ZoneInfo(subscription.timezone)).date()


def following_push(subscription: Subscription) -> datetime:
    day = push_day(subscription) + timedelta(days=1)
    return push_instant(day, subscription.hour, subscription.minute, subscription.timezone)


# --- /daily -----------------------------------------------------------------------------------


async def daily_command(turn: Turn, args: str) -> Message:
    assert turn.chat is not None
    if turn.chat.platform in UNPUSHABLE:
        return Message(
            "The daily question is pushed on Telegram and Slack. Here in the terminal, "
            "type /quiz whenever you like."
        )
    try:
        wanted = parse_daily(args)
    except ValueError as error:
        return Message(str(error))
    subscription = (
        await turn.session.execute(select(Subscription).where(Subscription.chat_id == turn.chat.id))
    ).scalar_one_or_none()
    if wanted is None:
        return _describe(turn, subscription)
    if wanted == "off":
        if subscription is None or not subscription.active:
            return Message("The daily question is already off here.")
        subscription.active = False
        subscription.paused_reason = "turned off with /daily off"
        return Message("Daily question turned off. `/daily HH:MM` turns it back on.")
    assert isinstance(wanted, DailySetting)
    zone = (
        wanted.zone
        or turn.chat.timezone
        or (turn.person.timezone if not turn.in_group else None)
        or (subscription.timezone if subscription else None)
        or "UTC"
    )
    next_at = next_push_after(turn.now, wanted.hour, wanted.minute, zone)
    if subscription is None:
        subscription = Subscription(chat_id=turn.chat.id, created_at=turn.now)
        turn.session.add(subscription)
    subscription.person_id = turn.person.id
    subscription.hour, subscription.minute, subscription.timezone = wanted.hour, wanted.minute, zone
    subscription.active = True
    subscription.paused_reason = None
    subscription.next_push_at = next_at
    turn.chat.timezone = zone
    if not turn.in_group:
        turn.person.timezone = zone
        turn.person.unreachable = False
    who = "this group" if turn.in_group else "you"
    local = f"{wanted.hour:02d}:{wanted.minute:02d} {zone}"
    return Message(
        f"Done: a question for {who} every day at **{local}**. "
        f"The next one comes {_when(turn.now, next_at, zone)}."
    )


def _describe(turn: Turn, subscription: Subscription | None) -> Message:
    if subscription is None or not subscription.active:
        return Message(f"No daily question here yet. {USAGE}")
    local = f"{subscription.hour:02d}:{subscription.minute:02d} {subscription.timezone}"
    when = _when(turn.now, subscription.next_push_at, subscription.timezone)
    return Message(f"Daily question: every day at **{local}**. The next one comes {when}.")


def _when(now: datetime, at: datetime, zone: str) -> str:
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b at %H:%M} ({humanize_delta(at - now)})"


# --- the tick ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Push:
    """A claimed daily push: where it goes and what it says."""

    subscription_id: int
    local_date: date
    platform: str
    chat_id: str
    replies: tuple[Reply, ...]


async def due_subscription_ids(
    session: AsyncSession, now: datetime, platforms: frozenset[str], limit: int
) -> list[int]:
    result = await session.execute(
        select(Subscription.id)
        .join(Chat, Chat.id == Subscription.chat_id)
        .where(
            Subscription.active.is_(True),
            Subscription.next_push_at <= now,
            Chat.platform.in_(platforms),
        )
        .order_by(Subscription.next_push_at)
        .limit(limit)
    )
    return list(result.scalars())


async def claim(session: AsyncSession, subscription: Subscription, now: datetime) -> date | None:
    """Claim today's delivery for the subscription and move its next push to tomorrow.

    Exactly one claimant wins the unique (subscription, local date) row; a delivery left to
    retry can be claimed again. Returns the claimed local date, or None.
    """
    day = push_day(subscription)
    won = await insert_ignore(
        session,
        Delivery,
        {
            "subscription_id": subscription.id,
            "local_date": day,
            "status": "claimed",
            "attempts": 1,
            "claimed_at": now,
        },
        ["subscription_id", "local_date"],
    )
    if not won:
        result = await session.execute(
            update(Delivery)
            .where(
                Delivery.subscription_id == subscription.id,
                Delivery.local_date == day,
                Delivery.status == "retry",
            )
            .values(status="claimed", attempts=Delivery.attempts + 1, claimed_at=now)
        )
        won = bool(result.rowcount)  # type: ignore[attr-defined]
    subscription.next_push_at = following_push(subscription)
    return day if won else None


async def requeue_stale_claims(session: AsyncSession, now: datetime) -> int:
    """Deliveries claimed by a process that died before recording them go back in the queue."""
    stale = (
        (
            await session.execute(
                select(Delivery).where(
                    Delivery.status == "claimed", Delivery.claimed_at < now - STALE_CLAIM
                )
            )
        )
        .scalars()
        .all()
    )
    for delivery in stale:
        subscription = await session.get(Subscription, delivery.subscription_id)
        delivery.status = "retry"
        if subscription is not None:
            subscription.next_push_at = push_instant(
                delivery.local_date, subscription.hour, subscription.minute, subscription.timezone
            )
    return len(stale)


async def prepare_push(turn: Turn) -> tuple[Reply, ...]:
    if turn.in_group:
        header = "📅 Question of the day"
    else:
        streak = await person_streak(turn)
        header = f"📅 Your daily question · 🔥 {streak.current}-day streak"
    return tuple(await quiz.ask_next(turn, header=header, is_daily=True))


def record_delivery(
    subscription: Subscription,
    delivery: Delivery,
    now: datetime,
    error: str | None,
    permanent: bool,
) -> None:
    """Sent; failed for good (pause the subscription); or failed for now (due again at once,
    retried by the next ticks while the grace window lasts)."""
    if error is None:
        delivery.status, delivery.sent_at, delivery.error = "sent", now, None
    elif permanent:
        delivery.status, delivery.error = "failed", error[:500]
        subscription.active = False
        subscription.paused_reason = error[:200]
    else:
        delivery.status, delivery.error = "retry", error[:500]
        subscription.next_push_at = push_instant(
            delivery.local_date, subscription.hour, subscription.minute, subscription.timezone
        )


def skip_missed(subscription: Subscription, now: datetime, grace: timedelta) -> bool:
    """Move past push instants older than the grace window; True if one was skipped."""
    skipped = False
    while subscription.next_push_at < now - grace:
        subscription.next_push_at = following_push(subscription)
        skipped = True
    return skipped
