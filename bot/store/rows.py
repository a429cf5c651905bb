"""Plain rows for the statements every event runs (see bot.store.event_queries): what the core
reads of a person, a chat, an ask, a schedule and a question, without ORM instances.

`PersonRow` and `ChatRow` are mutable so that a command that changes one (`/level`, `/daily`)
keeps the turn's copy in step with what it writes (`event_queries.change_person`)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from bot.store.models import Chat, Person, Question

__all__ = [
    "SCHEDULE_STATE",
    "AskRow",
    "ChatRow",
    "PersonRow",
    "QuestionRow",
    "ScheduleRow",
    "chat_row",
    "columns_of",
    "person_row",
    "question_row",
    "values_of",
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


# A schedule's card as FSRS keeps it: everything but its keys (person, question).
SCHEDULE_STATE = ("state", "step", "stability", "difficulty", "due", "last_review")


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


R = TypeVar("R")


def columns_of(row_type: type[Any]) -> tuple[str, ...]:
    """The row type's fields, in order: the columns a statement selects to build it."""
    return tuple(field.name for field in fields(row_type))


def values_of(row: Any) -> dict[str, Any]:
    """The row as {column: value}."""
    return {name: getattr(row, name) for name in columns_of(type(row))}


def _row_of(row_type: type[R], instance: Any, **overrides: Any) -> R:
    values = {name: getattr(instance, name) for name in columns_of(row_type)}
    return row_type(**(values | overrides))


def question_row(question: Question) -> QuestionRow:
    return _row_of(QuestionRow, question, options=tuple(question.options))


def person_row(person: Person) -> PersonRow:
    return _row_of(PersonRow, person)


def chat_row(chat: Chat) -> ChatRow:
    return _row_of(ChatRow, chat)
