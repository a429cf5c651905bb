"""Sync a parsed bank into the store without losing anyone's progress.

Questions are matched by id: a reworded question keeps its schedules and reviews; a question
that disappears from the files is retired (never asked again), not deleted, so history stays.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.bank.model import Bank, ChoiceQuestion
from bot.store.database import Database
from bot.store.models import Meta, Question, Topic

__all__ = ["SyncReport", "bank_version", "sync_bank"]

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
    added = updated = retired = unchanged = 0
    topics_changed = False
    async with db.write() as session:
        await db.serialize(session)  # processes starting together sync one after the other
        topics = {t.id: t for t in (await session.execute(select(Topic))).scalars()}
        questions = {q.id: q for q in (await session.execute(select(Question))).scalars()}

        for topic_position, topic in enumerate(bank.topics):
            topic_values: dict[str, Any] = {
                "title": topic.title,
                "explanation": topic.explanation,
                "aliases": list(topic.aliases),
                "tags": list(topic.tags),
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
        await session.flush()

        for topic_position, topic in enumerate(bank.topics):
            for question_position, question in enumerate(topic.questions):
                values: dict[str, Any] = {
                    "topic_id": topic.id,
                    "kind": question.kind,
                    "prompt": question.prompt,
                    "position": question_position * _TOPIC_STRIDE + topic_position,
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
            await _bump_version(session)
    return SyncReport(added=added, updated=updated, retired=retired, unchanged=unchanged)


BANK_VERSION = "bank_version"


async def _bump_version(session: AsyncSession) -> None:
    """Running bots compare this to the version they loaded, and reload when it moved."""
    row = await session.get(Meta, BANK_VERSION)
    if row is None:
        session.add(Meta(key=BANK_VERSION, value=uuid.uuid4().hex))
    else:
        row.value = uuid.uuid4().hex


async def bank_version(session: AsyncSession) -> str | None:
    row = await session.get(Meta, BANK_VERSION)
    return row.value if row else None


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set the values that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed
