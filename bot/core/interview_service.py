"""Mock interview deadlines, claimed by the round ticker: every few seconds one write
transaction claims the rounds whose question ran out of time, and the rounds left alone for
30 minutes, and says what to send where.

A deadline is claimed by an atomic UPDATE before anything acts on it (see
bot.store.interviews), so of several processes on one database exactly one times a question
out; a deadline that passed while no process was running is claimed at the next start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fsrs import Scheduler

from bot.core.catalog import Catalog
from bot.core.clock import Clock
from bot.core.interview import ABANDON_AFTER, close, time_up
from bot.core.replies import Reply
from bot.core.turn import Turn
from bot.store import interviews as store
from bot.store.database import Database, Tx
from bot.store.models import Interview
from bot.store.rows import chat_row, person_row

__all__ = ["InterviewService", "RoundMessage"]


@dataclass(frozen=True)
class RoundMessage:
    """What a round's ticker step sends, and where."""

    platform: str
    chat_id: str
    replies: tuple[Reply, ...]


class InterviewService:
    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        scheduler: Scheduler,
        clock: Clock,
        *,
        interview_seconds: int = 60,
        batch_size: int = 100,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.scheduler = scheduler
        self.clock = clock
        self.interview_seconds = interview_seconds
        self.batch_size = batch_size

    async def claim_due(self, platforms: frozenset[str]) -> list[RoundMessage]:
        """Time out every question whose deadline has passed, and end every round left alone,
        on these platforms; what to send for each."""
        if not platforms:
            return []
        return await self.db.write_tx(self._claim, platforms, self.clock())

    def _claim(self, tx: Tx, platforms: frozenset[str], now: datetime) -> list[RoundMessage]:
        session = tx.session
        messages = [
            self._step(tx, interview_id, now, time_up)
            for interview_id in store.claim_expired(session, now, platforms, self.batch_size)
        ]
        idle_since = now - ABANDON_AFTER
        messages += [
            self._step(tx, interview_id, now, _abandoned)
            for interview_id in store.claim_abandoned(
                session, idle_since, platforms, self.batch_size
            )
        ]
        return messages

    def _step(
        self,
        tx: Tx,
        interview_id: int,
        now: datetime,
        step: Callable[[Turn, Interview], list[Reply]],
    ) -> RoundMessage:
        interview, chat, person = store.context(tx.session, interview_id)
        turn = Turn(
            tx,
            person_row(person),
            chat_row(chat),
            now,
            self.catalog,
            self.scheduler,
            interview_seconds=self.interview_seconds,
        )
        return RoundMessage(chat.platform, chat.platform_chat_id, tuple(step(turn, interview)))


def _abandoned(turn: Turn, interview: Interview) -> list[Reply]:
    return close(turn, interview, "abandoned")
