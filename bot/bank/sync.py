"""Sync a parsed bank into the store without losing anyone's progress.

Questions are matched by id: a reworded question keeps its schedules and reviews; a question
that disappears from the files is retired (never asked again), not deleted, so history stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.bank.model import Bank, ChoiceQuestion
from bot.store.database import Database
from bot.store.meta import bump_bank_version
from bot.store.models import Question, Topic

__all__ = ["SyncReport", "sync_bank", "sync_bank_now"]

# New questions are asked in position order; spacing topics this way interleaves them, so a
# newcomer meets the first question of every topic before the second of any.
_TOPIC_STRIDE = 1000


@dataclass(frozen=True)
class SyncReport:
    added: int
    updated: int
    retired: int
    unchanged: int

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.retired} retired, "
            f"{self.unchanged} unchanged"
        )


async def sync_bank(db: Database, bank: Bank) -> SyncReport:
    return await db.write(sync_bank_now, db, bank)


def sync_bank_now(session: Session, db: Database, bank: Bank) -> SyncReport:
    """The sync as one unit of work."""
    added = updated = retired = unchanged = 0
    topics_changed = False
    db.serialize(session)  # processes starting together sync one after the other
    topics = {t.id: t for t in (session.execute(select(Topic))).scalars()}
    questions = {q.id: q for q in (session.execute(select(Question))).scalars()}

    for topic_position, topic in enumerate(bank.topics):
        topic_values: dict[str, Any] = {
            "title": topic.title,
            "explanation": topic.explanation,
            "aliases": list(topic.aliases),
            "see_also": list(topic.see_also),
            "references": list(topic.references),
            "position": topic_position,
            "retired": False,
        }
        row = topics.pop(topic.id, None)
        if row is None:
            session.add(Topic(id=topic.id, **topic_values))
            topics_changed = True
        elif _assign(row, topic_values):
            topics_changed = True
    session.flush()

    for topic_position, topic in enumerate(bank.topics):
        for question_position, question in enumerate(topic.questions):
            values: dict[str, Any] = {
                "topic_id": topic.id,
                "kind": question.kind,
                "prompt": question.prompt,
                "position": question_position * _TOPIC_STRIDE + topic_position,
                "level": question.level,
                "retired": False,
            }
            if isinstance(question, ChoiceQuestion):
                values |= {
                    "options": list(question.options),
                    "correct_index": question.correct_index,
                    "why": question.why,
                    "answer": "",
                }
            else:
                values |= {
                    "options": [],
                    "correct_index": None,
                    "why": "",
                    "answer": question.answer,
                }
            row_q = questions.pop(question.id, None)
            if row_q is None:
                session.add(Question(id=question.id, **values))
                added += 1
            elif _assign(row_q, values):
                updated += 1
            else:
                unchanged += 1

    for gone_topic in topics.values():
        topics_changed |= _assign(gone_topic, {"retired": True})
    for gone in questions.values():
        if _assign(gone, {"retired": True}):
            retired += 1
    if topics_changed or added or updated or retired:
        bump_bank_version(session)
    return SyncReport(added=added, updated=updated, retired=retired, unchanged=unchanged)


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set the values that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed
