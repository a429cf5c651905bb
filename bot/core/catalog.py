"""The bank as the core sees it: the topic index, and the bank version it was built from."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from bot.core import actions
from bot.core.explain import TopicEntry, TopicIndex
from bot.core.replies import Button, Explanation
from bot.store import queries
from bot.store.meta import bank_version
from bot.store.models import Topic
from bot.store.rows import QuestionRow, question_row

__all__ = ["Catalog", "explanation_of"]

_MAX_REFERENCES = 5


class Catalog:
    """Shared by the event handler and the daily service; rebuilt when the bank changes."""

    def __init__(self) -> None:
        self.index = TopicIndex(())
        self.version: str | None = None
        self._topics: dict[str, Topic] = {}
        self._explanations: dict[str, Explanation] = {}
        self._questions: dict[str, QuestionRow] = {}

    def load(self, session: Session) -> None:
        """(Re)build the index from the database."""
        self.version = bank_version(session)
        topics = queries.active_topics(session)
        self.index = TopicIndex(
            TopicEntry(t.id, t.title, tuple(t.aliases), t.explanation) for t in topics
        )
        self._topics = {topic.id: topic for topic in topics}
        self._explanations = {}
        self._questions = {q.id: question_row(q) for q in queries.all_questions(session)}

    def question(self, question_id: str) -> QuestionRow | None:
        """A question of the bank this catalog was built from (retired ones included)."""
        return self._questions.get(question_id)

    def explanation(self, topic_id: str) -> Explanation | None:
        """The topic's explanation as every platform shows it, built once per bank version."""
        found = self._explanations.get(topic_id)
        if found is None and topic_id in self._topics:
            found = explanation_of(self._topics[topic_id], self.index)
            self._explanations[topic_id] = found
        return found

    def refresh(self, session: Session) -> bool:
        """Rebuild if `content sync` (from any process) changed the bank; True if it did."""
        if bank_version(session) == self.version:
            return False
        self.load(session)
        return True


def explanation_of(topic: Topic, index: TopicIndex) -> Explanation:
    """The topic as every platform shows it: the text, where to read more, and buttons to
    quiz on it or go on to related topics."""
    markdown = topic.explanation
    if topic.references:
        links = " · ".join(
            f"[{urlsplit(url).netloc or url}]({url})" for url in topic.references[:_MAX_REFERENCES]
        )
        markdown += f"\n\n**Read more:** {links}"
    see_also = tuple(
        Button(f"See also: {index.topics[other].title}"[:60], actions.explain(other))
        for other in topic.see_also
        if other in index.topics
    )
    return Explanation(
        topic_id=topic.id,
        title=topic.title,
        markdown=markdown,
        buttons=(Button(f"Quiz me on {topic.title}"[:60], actions.quiz(topic.id)), *see_also),
    )
