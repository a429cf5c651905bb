"""Queries the core needs, each a small function over an open session."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import (
    Select,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

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
    "answers_to_ask",
    "ask_and_question",
    "ask_by_ref",
    "create_ask",
    "delivery_for",
    "due_count",
    "ensure_chat",
    "ensure_person",
    "find_person",
    "forget_person",
    "insert_ignore",
    "insert_review",
    "known_person_and_chat",
    "leaderboard",
    "next_due_at",
    "next_due_question",
    "next_group_question",
    "next_new_question",
    "pause_chat",
    "review_dates",
    "review_totals",
    "set_ask_refs",
    "topic_accuracy",
]


class PersonKey(Protocol):
    """Who acted, as a platform names them (bot.core.events.PersonRef fits)."""

    @property
    def platform(self) -> str: ...
    @property
    def platform_id(self) -> str: ...
    @property
    def display_name(self) -> str: ...


class ChatKey(Protocol):
    """Where, as a platform names it (bot.core.events.ChatRef fits)."""

    @property
    def platform(self) -> str: ...
    @property
    def chat_id(self) -> str: ...
    @property
    def is_group(self) -> bool: ...
    @property
    def title(self) -> str: ...


def ensure_person(
    session: Session, platform: str, platform_id: str, display_name: str, now: datetime
) -> Person:
    """The person, created on first sight; safe when two processes see them at once."""
    values = {
        "platform": platform,
        "platform_id": platform_id,
        "display_name": display_name,
        "created_at": now,
        "unreachable": False,
    }
    # Nearly every event comes from someone we know: look first, insert only when new.
    person = find_person(session, platform, platform_id)
    if person is None:
        person = _insert_or_find(
            session, Person, values, ["platform", "platform_id"], find_person, platform, platform_id
        )
    if display_name and person.display_name != display_name:
        person.display_name = display_name
    return person


def known_person_and_chat(
    session: Session, person: PersonKey, chat: ChatKey
) -> tuple[Person, Chat] | None:
    """Both rows in one statement, when both exist and their names are as the platform says."""
    known = session.execute(
        _person_and_chat(),
        {
            "chat_platform": chat.platform,
            "chat_id": chat.chat_id,
            "platform": person.platform,
            "platform_id": person.platform_id,
        },
    ).first()
    if known is None:
        return None
    found_person, found_chat = known
    if person.display_name and found_person.display_name != person.display_name:
        return None
    if chat.title and found_chat.title != chat.title:
        return None
    return found_person, found_chat


# The statements every event runs are built once, with bound parameters: building a select
# costs more than running it on SQLite.


@functools.cache
def _person_and_chat() -> Select[tuple[Person, Chat]]:
    return (
        select(Person, Chat)
        .join_from(
            Person,
            Chat,
            and_(
                Chat.platform == bindparam("chat_platform"),
                Chat.platform_chat_id == bindparam("chat_id"),
            ),
        )
        .where(
            Person.platform == bindparam("platform"), Person.platform_id == bindparam("platform_id")
        )
    )


def ensure_person_and_chat(
    session: Session,
    person: PersonKey,
    chat: ChatKey,
    now: datetime,
) -> tuple[Person, Chat]:
    """Both rows, read in one statement when both are known (nearly every event), created or
    renamed otherwise."""
    known = known_person_and_chat(session, person, chat)
    if known is not None:
        return known
    # Most often a newcomer in their own chat: insert both (a row that exists is found instead).
    found_person: Person = _insert_or_find(
        session,
        Person,
        {
            "platform": person.platform,
            "platform_id": person.platform_id,
            "display_name": person.display_name,
            "created_at": now,
            "unreachable": False,
        },
        ["platform", "platform_id"],
        find_person,
        person.platform,
        person.platform_id,
    )
    found_chat: Chat = _insert_or_find(
        session,
        Chat,
        {
            "platform": chat.platform,
            "platform_chat_id": chat.chat_id,
            "is_group": chat.is_group,
            "title": chat.title,
        },
        ["platform", "platform_chat_id"],
        find_chat,
        chat.platform,
        chat.chat_id,
    )
    if person.display_name and found_person.display_name != person.display_name:
        found_person.display_name = person.display_name
    if chat.title and found_chat.title != chat.title:
        found_chat.title = chat.title
    return found_person, found_chat


def _insert_or_find(
    session: Session,
    model: Any,
    values: dict[str, Any],
    unique: list[str],
    find: Any,
    *keys: str,
) -> Any:
    """The new row, inserted and returned in one statement; or, when another transaction or
    process inserted it first, the existing one."""
    inserted = session.execute(
        _insert_entity(session.get_bind().dialect.name, model, tuple(unique)).values(**values)
    ).scalar_one_or_none()
    if inserted is not None:
        return inserted
    found = find(session, *keys)
    assert found is not None
    return found


@functools.cache
def _insert_entity(dialect: str, model: Any, unique: tuple[str, ...]) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing(index_elements=list(unique)).returning(model)


def find_person(session: Session, platform: str, platform_id: str) -> Person | None:
    result = session.execute(
        select(Person).where(Person.platform == platform, Person.platform_id == platform_id)
    )
    return result.scalar_one_or_none()


def ensure_chat(
    session: Session, platform: str, platform_chat_id: str, is_group: bool, title: str
) -> Chat:
    values = {
        "platform": platform,
        "platform_chat_id": platform_chat_id,
        "is_group": is_group,
        "title": title,
    }
    chat = find_chat(session, platform, platform_chat_id)
    if chat is None:
        chat = _insert_or_find(
            session,
            Chat,
            values,
            ["platform", "platform_chat_id"],
            find_chat,
            platform,
            platform_chat_id,
        )
    if title and chat.title != title:
        chat.title = title
    return chat


def find_chat(session: Session, platform: str, platform_chat_id: str) -> Chat | None:
    result = session.execute(
        select(Chat).where(Chat.platform == platform, Chat.platform_chat_id == platform_chat_id)
    )
    return result.scalar_one_or_none()


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
    condition = Question.retired.is_(False)
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


@functools.cache
def _next_due(scope: QuestionScope) -> Select[tuple[Question]]:
    return (
        select(Question)
        .join(Schedule, Schedule.question_id == Question.id)
        .where(
            Schedule.person_id == bindparam("person_id"),
            Schedule.due <= bindparam("now"),
            _live_questions(scope),
        )
        .order_by(Schedule.due)
        .limit(1)
    )


@functools.cache
def _next_new(scope: QuestionScope) -> Select[tuple[Question]]:
    seen = exists().where(
        Schedule.person_id == bindparam("person_id"), Schedule.question_id == Question.id
    )
    return (
        select(Question).where(_live_questions(scope), ~seen).order_by(Question.position).limit(1)
    )


def _shape(scope: QuestionScope) -> QuestionScope:
    """The statement a scope needs depends only on which of its parts are set."""
    return QuestionScope(
        "" if scope.topic_id is not None else None, "" if scope.level is not None else None
    )


def next_due_question(
    session: Session, person_id: int, now: datetime, scope: QuestionScope
) -> Question | None:
    """The person's most overdue question."""
    values = {"person_id": person_id, "now": now, **_scope_values(scope)}
    return session.execute(_next_due(_shape(scope)), values).scalar_one_or_none()


def next_new_question(session: Session, person_id: int, scope: QuestionScope) -> Question | None:
    """The first question the person has never reviewed, in bank order."""
    values = {"person_id": person_id, **_scope_values(scope)}
    return session.execute(_next_new(_shape(scope)), values).scalar_one_or_none()


def next_group_question(session: Session, chat_id: int, scope: QuestionScope) -> Question | None:
    """For a group: a question never asked there, else the one asked longest ago."""
    asked = exists().where(Ask.chat_id == chat_id, Ask.question_id == Question.id)
    values = _scope_values(scope)
    result = session.execute(
        select(Question).where(_live_questions(scope), ~asked).order_by(Question.position).limit(1),
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
        select(Question)
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


def create_ask(
    session: Session,
    chat_id: int,
    question_id: str,
    person_id: int | None,
    now: datetime,
    is_daily: bool = False,
    interview_id: int | None = None,
) -> int:
    """Record that a question was put to a chat; returns the ask's id."""
    values = {
        "chat_id": chat_id,
        "question_id": question_id,
        "person_id": person_id,
        "created_at": now,
        "is_daily": is_daily,
        "interview_id": interview_id,
    }
    return int(session.connection().execute(_insert_ask(), values).scalar_one())


@functools.cache
def _insert_ask() -> Any:
    return insert(Ask.__table__).returning(Ask.__table__.c.id)


def set_ask_refs(session: Session, refs: dict[str, int]) -> None:
    """Remember which platform object (a Telegram poll) carries each ask: {ref: ask id}."""
    rows = [{"ask_id": ask_id, "ref": ref} for ref, ask_id in refs.items()]
    session.connection().execute(_set_ask_ref(), rows)


@functools.cache
def _set_ask_ref() -> Any:
    table = Ask.__table__
    return (
        update(table).where(table.c.id == bindparam("ask_id")).values(platform_ref=bindparam("ref"))
    )


def ask_by_ref(session: Session, platform_ref: str) -> Ask | None:
    result = session.execute(select(Ask).where(Ask.platform_ref == platform_ref))
    return result.scalar_one_or_none()


def ask_and_question(
    session: Session, ask_id: int, person_id: int
) -> tuple[Ask, Question, Schedule | None] | None:
    """An ask, its question and the person's schedule for it (if any), in one statement."""
    row = session.execute(_ask_and_question(), {"ask_id": ask_id, "person_id": person_id}).first()
    return (row[0], row[1], row[2]) if row is not None else None


@functools.cache
def _ask_and_question() -> Select[tuple[Ask, Question, Schedule]]:
    return (
        select(Ask, Question, Schedule)
        .join(Question, Question.id == Ask.question_id)
        .outerjoin(
            Schedule,
            and_(
                Schedule.question_id == Ask.question_id,
                Schedule.person_id == bindparam("person_id"),
            ),
        )
        .where(Ask.id == bindparam("ask_id"))
    )


def insert_ignore(session: Session, model: Any, values: dict[str, Any], unique: list[str]) -> bool:
    """INSERT unless a row with the same unique columns exists; True when inserted.

    Safe under concurrency on SQLite and PostgreSQL: of two racing inserts, exactly one wins.
    """
    statement = _insert_ignore(session.get_bind().dialect.name, model, tuple(unique))
    # RETURNING says which: a row comes back only when it was inserted.
    return session.connection().execute(statement, values).first() is not None


@functools.cache
def _insert_ignore(dialect: str, model: Any, unique: tuple[str, ...]) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(model.__table__)
        .on_conflict_do_nothing(index_elements=list(unique))
        .returning(model.__table__.c[unique[0]])
    )


def insert_review(session: Session, **values: Any) -> bool:
    """Record an answer; False when this person already answered this ask (a double click)."""
    return insert_ignore(session, Review, values, ["ask_id", "person_id"])


def answers_to_ask(session: Session, ask_id: int) -> int:
    result = session.execute(
        select(func.count()).select_from(Review).where(Review.ask_id == ask_id)
    )
    return int(result.scalar_one())


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


def review_dates(session: Session, person_id: int) -> list[date]:
    """The distinct local days on which the person answered, newest first."""
    result = session.execute(
        select(Review.local_date)
        .where(Review.person_id == person_id)
        .distinct()
        .order_by(Review.local_date.desc())
    )
    return list(result.scalars().all())


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


def delivery_for(session: Session, subscription_id: int, day: date) -> Delivery | None:
    result = session.execute(
        select(Delivery).where(
            Delivery.subscription_id == subscription_id, Delivery.local_date == day
        )
    )
    return result.scalar_one_or_none()


def active_subscription_chats(session: Session) -> list[tuple[str, str]]:
    """(platform, platform chat id) of every chat with an active daily question."""
    result = session.execute(
        select(Chat.platform, Chat.platform_chat_id)
        .join(Subscription, Subscription.chat_id == Chat.id)
        .where(Subscription.active.is_(True))
    )
    return [(platform, chat_id) for platform, chat_id in result.all()]
