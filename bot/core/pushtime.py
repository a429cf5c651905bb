"""Push-time arithmetic for the daily question: pure functions, the time passed in.

Times are kept as the person wrote them (local hour and minute, an IANA zone); push instants
are UTC. A day is counted in local dates, so daylight-saving changes neither skip nor double
one: each local date gets exactly one push instant.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["following_push", "next_push_after", "push_day", "push_instant", "skip_missed"]

_UTC = ZoneInfo("UTC")


def push_instant(local_day: date, hour: int, minute: int, zone: str) -> datetime:
    """The UTC instant of hh:mm on a local date (a time skipped by DST lands just after)."""
    return datetime.combine(local_day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(_UTC)


def next_push_after(now: datetime, hour: int, minute: int, zone: str) -> datetime:
    """The first push instant at or after `now`."""
    today = now.astimezone(ZoneInfo(zone)).date()
    for offset in range(3):
        candidate = push_instant(today + timedelta(days=offset), hour, minute, zone)
        if candidate >= now:
            return candidate
    raise AssertionError("a push is always found within three days")


def push_day(next_push_at: datetime, zone: str) -> date:
    """The local date a push instant belongs to."""
    return next_push_at.astimezone(ZoneInfo(zone)).date()


def following_push(next_push_at: datetime, hour: int, minute: int, zone: str) -> datetime:
    """The push instant of the local day after the one `next_push_at` belongs to."""
    day = push_day(next_push_at, zone) + timedelta(days=1)
    return push_instant(day, hour, minute, zone)


def skip_missed(
    next_push_at: datetime, hour: int, minute: int, zone: str, now: datetime, grace: timedelta
) -> datetime:
    """Move past push instants older than the grace window: a push missed by more than
    `grace` (the bot was down) is skipped, not sent hours late."""
    while next_push_at < now - grace:
        next_push_at = following_push(next_push_at, hour, minute, zone)
    return next_push_at
