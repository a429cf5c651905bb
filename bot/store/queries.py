"""Queries the core needs, each a small function over an open session."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from bot.store.models import (
    Ask,
    Chat,
    Delivery,
    Person,
    Question,
    Review,
    Schedule,
    Subscription,
    Topic,
)

__all__ = [
    "QuestionScope",
    "active_subscription_chats",
    "active_topics",
    "all_questions",
    "dialect_insert",
    "due_count",
    "find_person",
    "forget_person",
    "insert_ignore",
    "leaderboard",
    "next_due_at",
    "next_group_question",
    "pause_chat",
    "review_totals",
    "topic_accuracy",
]


def find_person(session: Session, platform: str, platform_id: str) -> Person | None:
    result = session.execute(
        select(Person).where(Person.platform == platform, Person.platform_id == platform_id)
    )
    return result.scalar_one_or_none()


def find_chat(session: Session, platform: str, platform_chat_id: str) -> Chat | None:
    result = session.execute(
        select(Chat).where(Chat.platform == platform, Chat.platform_chat_id == platform_chat_id)
    )
    return result.scalar_one_or_none()


def all_questions(session: Session) -> Sequence[Question]:
    """Every question, retired ones included (old asks still point at them)."""
    return session.execute(select(Question)).scalars().all()


def active_topics(session: Session) -> Sequence[Topic]:
    result = session.execute(select(Topic).where(Topic.retired.is_(False)).order_by(Topic.position))
    return result.scalars().all()


@dataclass(frozen=True)
class QuestionScope:
    """Which questions a quiz draws from: one topic or all, one level or all."""

    topic_id: str | None = None
    level: str | None = None


def _live_questions(scope: QuestionScope) -> Any:
    """The scope's conditions, with `topic_id` and `level` as bound parameters."""
    condition: ColumnElement[bool] = Question.retired == false()
    if scope.topic_id is not None:
        condition = and_(condition, Question.topic_id == bindparam("topic_id"))
    if scope.level is not None:
        condition = and_(condition, Question.level == bindparam("level"))
    return condition


def _scope_values(scope: QuestionScope) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if scope.topic_id is not None:
        values["topic_id"] = scope.topic_id
    if scope.level is not None:
        values["level"] = scope.level
    return values


def next_group_question(session: Session, chat_id: int, scope: QuestionScope) -> str | None:
    """For a group: the id of a question never asked there, else of the one asked longest
    ago."""
    asked = exists().where(Ask.chat_id == chat_id, Ask.question_id == Question.id)
    values = _scope_values(scope)
    result = session.execute(
        select(Question.id)
        .where(_live_questions(scope), ~asked)
        .order_by(Question.position)
        .limit(1),
        values,
    )
    fresh = result.scalar_one_or_none()
    if fresh is not None:
        return fresh
    last_asked = (
        select(Ask.question_id, func.max(Ask.created_at).label("last"))
        .where(Ask.chat_id == chat_id)
        .group_by(Ask.question_id)
        .subquery()
    )
    result = session.execute(
        select(Question.id)
        .join(last_asked, last_asked.c.question_id == Question.id)
        .where(_live_questions(scope))
        .order_by(last_asked.c.last)
        .limit(1),
        values,
    )
    return result.scalar_one_or_none()


def next_due_at(session: Session, person_id: int, now: datetime) -> datetime | None:
    result = session.execute(
        select(func.min(Schedule.due))
        .join(Question, Question.id == Schedule.question_id)
        .where(Schedule.person_id == person_id, Schedule.due > now, Question.retired.is_(False))
    )
    return result.scalar_one_or_none()


def due_count(session: Session, person_id: int, now: datetime) -> int:
    result = session.execute(
        select(func.count())
        .select_from(Schedule)
        .join(Question, Question.id == Schedule.question_id)
        .where(Schedule.person_id == person_id, Schedule.due <= now, Question.retired.is_(False))
    )
    return int(result.scalar_one())


def insert_ignore(session: Session, model: Any, values: dict[str, Any], unique: list[str]) -> bool:
    """INSERT unless a row with the same unique columns exists; True when inserted.

    Safe under concurrency on SQLite and PostgreSQL: of two racing inserts, exactly one wins.
    """
    statement = _insert_ignore(session.get_bind().dialect.name, model, tuple(unique))
    # RETURNING says which: a row comes back only when it was inserted.
    return session.connection().execute(statement, values).first() is not None


def dialect_insert(dialect: str, table: Any) -> Any:
    """INSERT from the dialect's own module, which has ON CONFLICT (SQLite and PostgreSQL)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


@functools.cache
def _insert_ignore(dialect: str, model: Any, unique: tuple[str, ...]) -> Any:
    return (
        dialect_insert(dialect, model.__table__)
        .on_conflict_do_nothing(index_elements=list(unique))
        .returning(model.__table__.c[unique[0]])
    )


def review_totals(session: Session, person_id: int) -> tuple[int, int, int]:
    """(answers, choice answers, correct choice answers)."""
    result = session.execute(
        select(
            func.count(),
            func.count(Review.correct),
            func.count().filter(Review.correct.is_(True)),
        ).where(Review.person_id == person_id)
    )
    answered, graded, correct = result.one()
    return int(answered), int(graded), int(correct)


def topic_accuracy(
    session: Session, person_id: int, minimum: int = 2
) -> list[tuple[str, int, int]]:
    """(topic title, answered, correct) for choice answers, weakest first."""
    correct = func.count().filter(Review.correct.is_(True))
    result = session.execute(
        select(Topic.title, func.count(), correct)
        .select_from(Review)
        .join(Question, Question.id == Review.question_id)
        .join(Topic, Topic.id == Question.topic_id)
        .where(Review.person_id == person_id, Review.correct.is_not(None))
        .group_by(Topic.title)
        .having(func.count() >= minimum)
        .order_by((correct * 1.0 / func.count()), Topic.title)
    )
    return [(title, int(total), int(right)) for title, total, right in result.all()]


def leaderboard(
    session: Session, chat_id: int, since: datetime | None, limit: int = 10
) -> list[tuple[str, int]]:
    """Right answers given in the chat, per learner, under the name they have on the chat's
    platform (a learner who joined platforms with /link answers under their learner row)."""
    correct = func.count().filter(Review.correct.is_(True))
    linked = aliased(Person)
    name_here = (
        select(linked.display_name)
        .where(linked.learner_id == Person.id, linked.platform == Chat.platform)
        .limit(1)
        .scalar_subquery()
    )
    name = case((Person.platform == Chat.platform, Person.display_name), else_=name_here)
    statement = (
        select(func.coalesce(name, Person.display_name), correct)
        .select_from(Review)
        .join(Person, Person.id == Review.person_id)
        .join(Chat, Chat.id == Review.chat_id)
        .where(Review.chat_id == chat_id)
        .group_by(Person.id, Person.display_name, Person.platform, Chat.platform)
        .having(correct > 0)
        .order_by(correct.desc(), Person.display_name)
        .limit(limit)
    )
    if since is not None:
        statement = statement.where(Review.reviewed_at >= since)
    result = session.execute(statement)
    return [(name or "someone", int(count)) for name, count in result.all()]


def forget_person(session: Session, person_id: int) -> None:
    """Delete a learner, everyone linked to them, and everything that is theirs alone."""
    linked = select(Person.id).where(Person.learner_id == person_id)
    people = [person_id, *session.scalars(linked)]
    session.execute(delete(Review).where(Review.person_id.in_(people)))
    session.execute(delete(Schedule).where(Schedule.person_id.in_(people)))
    session.execute(delete(Ask).where(Ask.person_id.in_(people)))
    private_chats = select(Subscription.id).where(Subscription.person_id.in_(people))
    session.execute(delete(Delivery).where(Delivery.subscription_id.in_(private_chats)))
    session.execute(delete(Subscription).where(Subscription.person_id.in_(people)))
    session.execute(delete(Person).where(Person.learner_id == person_id))
    session.execute(delete(Person).where(Person.id == person_id))


def pause_chat(session: Session, platform: str, platform_chat_id: str, reason: str) -> bool:
    """The bot can no longer reach this chat: pause its daily push, mark its person unreachable.

    True when a chat was found.
    """
    chat = find_chat(session, platform, platform_chat_id)
    if chat is None:
        return False
    subscription = (
        session.execute(select(Subscription).where(Subscription.chat_id == chat.id))
    ).scalar_one_or_none()
    if subscription is not None:
        subscription.active = False
        subscription.paused_reason = reason[:200]
        if subscription.person_id is not None and not chat.is_group:
            session.execute(
                update(Person).where(Person.id == subscription.person_id).values(unreachable=True)
            )
    return True


def active_subscription_chats(session: Session) -> list[tuple[str, str]]:
    """(platform, platform chat id) of every chat with an active daily question."""
    result = session.execute(
        select(Chat.platform, Chat.platform_chat_id)
        .join(Subscription, Subscription.chat_id == Chat.id)
        .where(Subscription.active.is_(True))
    )
    return [(platform, chat_id) for platform, chat_id in result.all()]
