"""The bank as the core sees it: the topic index, and the bank version it was built from."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.core.explain import TopicEntry, TopicIndex
from bot.store import queries
from bot.store.meta import bank_version

__all__ = ["Catalog"]


class Catalog:
    """Shared by the event handler and the daily service; rebuilt when the bank changes."""

    def __init__(self) -> None:
        self.index = TopicIndex(())
        self.version: str | None = None

    def load(self, session: Session) -> None:
        """(Re)build the index from the database."""
        self.version = bank_version(session)
        topics = queries.active_topics(session)
        self.index = TopicIndex(TopicEntry(t.id, t.title, tuple(t.aliases)) for t in topics)

    def refresh(self, session: Session) -> bool:
        """Rebuild if `content sync` (from any process) changed the bank; True if it did."""
        if bank_version(session) == self.version:
            return False
        self.load(session)
        return True
