"""The inbox: platform updates stored before the platform is told they arrived, each marked
handled in the same transaction as its effects."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from bot.store.models import InboxUpdate
from bot.store.queries import insert_ignore

__all__ = [
    "drop_unsent",
    "finish",
    "mark_handled",
    "mark_sent",
    "prune",
    "store",
    "take_unsent",
    "waiting",
]


def store(
    session: Session, platform: str, updates: Sequence[tuple[str, str]], now: datetime
) -> list[str]:
    """Store (key, payload) updates; returns the keys that were new (a redelivery is not)."""
    return [
        key
        for key, payload in updates
        if insert_ignore(
            session,
            InboxUpdate,
            {"platform": platform, "key": key, "payload": payload, "received_at": now},
            ["key"],
        )
    ]


def finish(
    session: Session, key: str, now: datetime, reply_to: str | None, replies: str | None
) -> bool:
    """Mark the update handled and keep its replies (the outbox), at the end of the handling's
    own transaction, in one statement. False when it was handled already (by this process
    before a crash, or by another): then its effects exist, and this handling's must go."""
    finished = (
        session.connection()
        .execute(_finish(), {"inbox_key": key, "at": now, "reply_to": reply_to, "replies": replies})
        .rowcount
    )
    if finished:
        return True
    # Not in the inbox at all (an event that did not come through one): nothing to mark.
    return session.execute(select(InboxUpdate.id).where(InboxUpdate.key == key)).first() is None


@functools.cache
def _finish() -> Any:
    table = InboxUpdate.__table__
    return (
        update(table)
        .where(table.c.key == bindparam("inbox_key"), table.c.handled_at.is_(None))
        .values(
            handled_at=bindparam("at"),
            reply_to=bindparam("reply_to"),
            replies=bindparam("replies"),
        )
    )


def mark_handled(session: Session, keys: Sequence[str], now: datetime) -> None:
    """Updates the bot looked at and had nothing to do with (chatter in a group), or answered
    from a read transaction: handled, with no replies to keep."""
    if keys:
        session.connection().execute(
            _finish(),
            [{"inbox_key": key, "at": now, "reply_to": None, "replies": None} for key in keys],
        )


def mark_sent(session: Session, keys: Sequence[str]) -> None:
    if keys:
        session.connection().execute(_mark_sent(), [{"inbox_key": key} for key in keys])


@functools.cache
def _mark_sent() -> Any:
    table = InboxUpdate.__table__
    return update(table).where(table.c.key == bindparam("inbox_key")).values(replies=None)


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
    return session.execute(
        update(InboxUpdate)
        .where(
            InboxUpdate.platform == platform,
            InboxUpdate.replies.is_not(None),
            InboxUpdate.handled_at < handled_before,
        )
        .values(replies=None),
        execution_options={"synchronize_session": False},
    ).rowcount


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
