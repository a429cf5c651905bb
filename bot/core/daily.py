"""`/daily`: subscribe a chat to one question a day at a local time, show or stop it; and what
a claimed push says. When pushes are due is `pushtime`; claiming and recording them is
`daily_service`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core import quiz
from bot.core.pushtime import next_push_after
from bot.core.replies import Message, Reply
from bot.core.stats import person_streak
from bot.core.timefmt import humanize_delta
from bot.core.turn import Turn
from bot.store import event_queries
from bot.store.daily import subscription_for_chat
from bot.store.models import Subscription

__all__ = ["DailySetting", "daily_command", "parse_daily", "prepare_push"]

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


# --- /daily -----------------------------------------------------------------------------------


def daily_command(turn: Turn, args: str) -> list[Reply]:
    return [_daily(turn, args)]


def _daily(turn: Turn, args: str) -> Message:
    assert turn.chat is not None
    if not turn.can_push:
        return Message(
            "The daily question is pushed on Telegram and Slack. Here in the terminal, "
            "type /quiz whenever you like."
        )
    try:
        wanted = parse_daily(args)
    except ValueError as error:
        return Message(str(error))
    subscription = subscription_for_chat(turn.session, turn.chat.id)
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
    event_queries.change_chat(turn.tx, turn.chat, timezone=zone)
    if not turn.in_group:
        event_queries.change_person(turn.tx, turn.person, timezone=zone, unreachable=False)
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


# --- the push ---------------------------------------------------------------------------------


def prepare_push(turn: Turn) -> tuple[Reply, ...]:
    if turn.in_group:
        header = "📅 Question of the day"
    else:
        streak = person_streak(turn)
        header = f"📅 Your daily question · 🔥 {streak.current}-day streak"
    return tuple(quiz.ask_next(turn, header=header, is_daily=True))
