"""Plain rows for the statements every event runs (see bot.store.event_queries): what the core
reads of a person, a chat, an ask, a schedule and a question, without ORM instances.

`PersonRow` and `ChatRow` are mutable so that a command that changes one (`/level`, `/daily`)
keeps the turn's copy in step with what it writes (`event_queries.change_person`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.models import Chat, Person, Question

__all__ = [
    "AskRow",
    "ChatRow",
    "PersonRow",
    "QuestionRow",
    "ScheduleRow",
    "chat_row",
    "person_row",
    "question_row",
]


@dataclass(slots=True)
class PersonRow:
    id: int
    platform: str
    platform_id: str
    learner_id: int | None
    display_name: str
    timezone: str | None
    level: str | None
    unreachable: bool


@dataclass(slots=True)
class ChatRow:
    id: int
    platform: str
    platform_chat_id: str
    is_group: bool
    title: str
    timezone: str | None


@dataclass(frozen=True, slots=True)
class AskRow:
    id: int
    chat_id: int
    question_id: str
    person_id: int | None
    interview_id: int | None


@dataclass(slots=True)
class ScheduleRow:
    """One person's FSRS card for one question."""

    person_id: int
    question_id: str
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None


@dataclass(frozen=True, slots=True)
class QuestionRow:
    id: str
    topic_id: str
    kind: str  # "choice" or "card"
    prompt: str
    options: tuple[str, ...]
    correct_index: int | None
    why: str
    answer: str
    level: str
    retired: bool


def question_row(question: Question) -> QuestionRow:
    return QuestionRow(
        id=question.id,
        topic_id=question.topic_id,
        kind=question.kind,
        prompt=question.prompt,
        options=tuple(question.options),
        correct_index=question.correct_index,
        why=question.why,
        answer=question.answer,
        level=question.level,
        retired=question.retired,
    )


def person_row(person: Person) -> PersonRow:
    return PersonRow(
        id=person.id,
        platform=person.platform,
        platform_id=person.platform_id,
        learner_id=person.learner_id,
        display_name=person.display_name,
        timezone=person.timezone,
        level=person.level,
        unreachable=person.unreachable,
    )


def chat_row(chat: Chat) -> ChatRow:
    return ChatRow(
        id=chat.id,
        platform=chat.platform,
        platform_chat_id=chat.platform_chat_id,
        is_group=chat.is_group,
        title=chat.title,
        timezone=chat.timezone,
    )
