"""Everything one event's handling needs: the open transaction, who, where, when, and what the
platform and the person may do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fsrs import Scheduler
from sqlalchemy.orm import Session

from bot.core.catalog import Catalog
from bot.core.explain import TopicIndex
from bot.store.rows import ChatRow, PersonRow
from bot.store.tx import Tx

__all__ = ["Turn", "local_date"]


@dataclass
class Turn:
    """`person` is the learner whose progress counts (see bot.store.learners); `account` is
    who acted on this platform, the same person unless they joined platforms with /link."""

    tx: Tx
    person: PersonRow
    chat: ChatRow | None
    now: datetime
    catalog: Catalog
    scheduler: Scheduler
    is_admin: bool = False
    can_push: bool = True  # the platform can send unprompted (the terminal cannot)
    interview_seconds: int = 60  # a mock interview's time limit per question
    account: PersonRow | None = None

    @property
    def session(self) -> Session:
        """The transaction's ORM session, for everything but the per-event statements."""
        return self.tx.session

    @property
    def acting(self) -> PersonRow:
        """The person on this platform who sent the event."""
        return self.account or self.person

    @property
    def index(self) -> TopicIndex:
        return self.catalog.index

    @property
    def in_group(self) -> bool:
        return self.chat is not None and self.chat.is_group

    def today(self) -> date:
        return local_date(self.now, self.person.timezone)


def local_date(moment: datetime, zone: str | None) -> date:
    return moment.astimezone(ZoneInfo(zone or "UTC")).date()
