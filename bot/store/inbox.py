"""The inbox: platform updates stored before the platform is told they arrived, each marked
handled in the same transaction as its effects. Storing and marking run with every update, so
they are prepared statements in bot.store.event_queries; what runs at start and once a minute
is here."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from bot.store.models import InboxUpdate

__all__ = [
    "drop_unsent",
    "prune",
    "take_unsent",
    "waiting",
]


def take_unsent(
    session: Session, platform: str, handled_after: datetime, handled_before: datetime
) -> list[tuple[str, str, str]]:
    """Take the replies kept for updates handled in the window and never sent: (key, chat,
    replies), oldest first. Taken means cleared, and locked while taken, so of two processes
    starting at once only one sends each."""
    rows = session.execute(
        select(InboxUpdate.id, InboxUpdate.key, InboxUpdate.reply_to, InboxUpdate.replies)
        .where(
            InboxUpdate.platform == platform,
            InboxUpdate.replies.is_not(None),
            InboxUpdate.handled_at >= handled_after,
            InboxUpdate.handled_at < handled_before,
        )
        .order_by(InboxUpdate.id)
        .with_for_update(skip_locked=True)
    ).all()
    if rows:
        session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.id.in_([row.id for row in rows]))
            .values(replies=None),
            execution_options={"synchronize_session": False},
        )
    return [(row.key, row.reply_to or "", row.replies or "") for row in rows]


def drop_unsent(session: Session, platform: str, handled_before: datetime) -> int:
    """Forget unsent replies too old to be worth sending; how many updates had some."""
    result = session.execute(
        update(InboxUpdate)
        .where(
            InboxUpdate.platform == platform,
            InboxUpdate.replies.is_not(None),
            InboxUpdate.handled_at < handled_before,
        )
        .values(replies=None),
        execution_options={"synchronize_session": False},
    )
    return cast(CursorResult[Any], result).rowcount


def waiting(session: Session, platform: str, limit: int = 1000) -> list[tuple[str, str]]:
    """Updates stored but never handled (the process died), oldest first."""
    rows = session.execute(
        select(InboxUpdate.key, InboxUpdate.payload)
        .where(InboxUpdate.platform == platform, InboxUpdate.handled_at.is_(None))
        .order_by(InboxUpdate.id)
        .limit(limit)
    )
    return [(key, payload) for key, payload in rows]


def prune(session: Session, before: datetime) -> None:
    """Forget updates older than any redelivery (handled or given up on)."""
    session.execute(delete(InboxUpdate).where(InboxUpdate.received_at < before))
