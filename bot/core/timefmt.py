"""Durations and times as people read them."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["humanize_delta"]


def humanize_delta(delta: timedelta) -> str:
    """'in 10 minutes', 'in 3 days'; anything already past is 'now'."""
    seconds = delta.total_seconds()
    if seconds < 60:
        return "now" if seconds <= 0 else "in under a minute"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size)
            return f"in {count} {unit}{'' if count == 1 else 's'}"
    return "now"


def short_utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
