"""The statements nearly every event runs: who is this, what to ask next, record the answer,
mark the update handled. Prepared once per dialect and run on the driver's connection (see
bot.store.tx); they return plain rows (bot.store.rows), not ORM instances."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, and_, bindparam, exists, false, func, insert, select, update
from sqlalchemy.sql import Executable

from bot.store.models import Ask, Chat, InboxUpdate, Person, Question, Review, Schedule
from bot.store.queries import dialect_insert
from bot.store.rows import (
    SCHEDULE_STATE,
    AskRow,
    ChatRow,
    PersonRow,
    ScheduleRow,
    columns_of,
    values_of,
)
from bot.store.tx import Prepared, Tx

__all__ = [
    "ChatKey",
    "PersonKey",
    "QuestionScope",
    "answers_to_ask",
    "ask",
    "ask_and_schedule",
    "ask_by_ref",
    "change_chat",
    "change_person",
    "chat_by_id",
    "create_ask",
    "ensure_person",
    "ensure_person_and_chat",
    "finish_update",
    "insert_review",
    "known_person_and_chat",
    "learner_of",
    "mark_handled",
    "mark_sent",
    "next_due_question",
    "next_new_question",
    "review_dates",
    "save_schedule",
    "set_ask_refs",
    "store_updates",
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


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


_PEOPLE, _CHATS, _ASKS = _table(Person), _table(Chat), _table(Ask)
_QUESTIONS, _SCHEDULES, _REVIEWS, _UPDATES = (
    _table(Question),
    _table(Schedule),
    _table(Review),
    _table(InboxUpdate),
)
_PERSON = _PEOPLE.c
_CHAT = _CHATS.c


def _selected(table: Table, row_type: type[Any]) -> tuple[Any, ...]:
    """The table's columns for a row type, in its fields' order: rows are built from them by
    position."""
    return tuple(table.c[name] for name in columns_of(row_type))


_PERSON_COLUMNS = _selected(_PEOPLE, PersonRow)
_CHAT_COLUMNS = _selected(_CHATS, ChatRow)
_N_PERSON = len(_PERSON_COLUMNS)


# --- people and chats -------------------------------------------------------------------------

_PERSON_AND_CHAT = Prepared(
    lambda _dialect: (
        select(*_PERSON_COLUMNS, *_CHAT_COLUMNS)
        .select_from(_PEOPLE)
        .outerjoin(
            _CHATS,
            and_(
                _CHAT.platform == bindparam("chat_platform"),
                _CHAT.platform_chat_id == bindparam("chat_id"),
            ),
        )
        .where(_PERSON.platform == bindparam("platform"), _PERSON.platform_id == bindparam("pid"))
    )
)
_PERSON_BY_KEY = Prepared(
    lambda _dialect: select(*_PERSON_COLUMNS).where(
        _PERSON.platform == bindparam("platform"), _PERSON.platform_id == bindparam("pid")
    )
)
_PERSON_BY_ID = Prepared(
    lambda _dialect: select(*_PERSON_COLUMNS).where(_PERSON.id == bindparam("id"))
)
_CHAT_BY_KEY = Prepared(
    lambda _dialect: select(*_CHAT_COLUMNS).where(
        _CHAT.platform == bindparam("platform"), _CHAT.platform_chat_id == bindparam("chat_id")
    )
)
_CHAT_BY_ID = Prepared(lambda _dialect: select(*_CHAT_COLUMNS).where(_CHAT.id == bindparam("id")))
_INSERT_PERSON = Prepared(
    lambda dialect: (
        dialect_insert(dialect, _PEOPLE)
        .values(
            platform=bindparam("platform"),
            platform_id=bindparam("pid"),
            display_name=bindparam("display_name"),
            created_at=bindparam("now"),
            unreachable=False,
        )
        .on_conflict_do_nothing(index_elements=["platform", "platform_id"])
        .returning(*_PERSON_COLUMNS)
    )
)
_INSERT_CHAT = Prepared(
    lambda dialect: (
        dialect_insert(dialect, _CHATS)
        .values(
            platform=bindparam("platform"),
            platform_chat_id=bindparam("chat_id"),
            is_group=bindparam("is_group"),
            title=bindparam("title"),
        )
        .on_conflict_do_nothing(index_elements=["platform", "platform_chat_id"])
        .returning(*_CHAT_COLUMNS)
    )
)


def known_person_and_chat(
    tx: Tx, person: PersonKey, chat: ChatKey
) -> tuple[PersonRow, ChatRow] | None:
    """Both rows in one statement, when both exist and their names are as the platform says."""
    found_person, found_chat = _person_and_chat(tx, person, chat)
    if found_person is None or found_chat is None:
        return None
    if person.display_name and found_person.display_name != person.display_name:
        return None
    if chat.title and found_chat.title != chat.title:
        return None
    return found_person, found_chat


def ensure_person_and_chat(
    tx: Tx, person: PersonKey, chat: ChatKey, now: datetime
) -> tuple[PersonRow, ChatRow]:
    """Both rows, read in one statement (nearly every event), created or renamed where they
    are new or renamed; safe when two processes see a newcomer at once."""
    found_person, found_chat = _person_and_chat(tx, person, chat)
    if found_person is None:
        found_person = _insert_person(
            tx, person.platform, person.platform_id, person.display_name, now
        )
    _rename_person(tx, found_person, person.display_name)
    if found_chat is None:
        found_chat = _insert_chat(tx, chat)
    if chat.title and found_chat.title != chat.title:
        change_chat(tx, found_chat, title=chat.title)
    return found_person, found_chat


def _person_and_chat(
    tx: Tx, person: PersonKey, chat: ChatKey
) -> tuple[PersonRow | None, ChatRow | None]:
    """The person and the chat, each None where not stored yet: one statement."""
    row = tx.first(
        _PERSON_AND_CHAT,
        chat_platform=chat.platform,
        chat_id=chat.chat_id,
        platform=person.platform,
        pid=person.platform_id,
    )
    if row is None:
        return None, None
    chat_part = row[_N_PERSON:]
    return PersonRow(*row[:_N_PERSON]), ChatRow(*chat_part) if chat_part[0] is not None else None


def ensure_person(
    tx: Tx, platform: str, platform_id: str, display_name: str, now: datetime
) -> PersonRow:
    """The person, created on first sight (a row another process inserted first is found)."""
    row = tx.first(_PERSON_BY_KEY, platform=platform, pid=platform_id)
    found = (
        PersonRow(*row)
        if row is not None
        else _insert_person(tx, platform, platform_id, display_name, now)
    )
    _rename_person(tx, found, display_name)
    return found


def _insert_person(
    tx: Tx, platform: str, platform_id: str, display_name: str, now: datetime
) -> PersonRow:
    """A person not found a moment ago: inserted, or found if another process was first."""
    row = tx.first(
        _INSERT_PERSON, platform=platform, pid=platform_id, display_name=display_name, now=now
    ) or tx.first(_PERSON_BY_KEY, platform=platform, pid=platform_id)
    assert row is not None
    return PersonRow(*row)


def _insert_chat(tx: Tx, chat: ChatKey) -> ChatRow:
    """A chat not found a moment ago: inserted, or found if another process was first."""
    row = tx.first(
        _INSERT_CHAT,
        platform=chat.platform,
        chat_id=chat.chat_id,
        is_group=chat.is_group,
        title=chat.title,
    ) or tx.first(_CHAT_BY_KEY, platform=chat.platform, chat_id=chat.chat_id)
    assert row is not None
    return ChatRow(*row)


def _rename_person(tx: Tx, person: PersonRow, display_name: str) -> None:
    """The platform's current name, where it is known and differs from the stored one."""
    if display_name and person.display_name != display_name:
        change_person(tx, person, display_name=display_name)


def learner_of(tx: Tx, person: PersonRow) -> PersonRow:
    """The person whose progress this person studies with: themselves unless linked."""
    if person.learner_id is None:
        return person
    row = tx.first(_PERSON_BY_ID, id=person.learner_id)
    return PersonRow(*row) if row is not None else person


def chat_by_id(tx: Tx, chat_id: int) -> ChatRow | None:
    row = tx.first(_CHAT_BY_ID, id=chat_id)
    return ChatRow(*row) if row is not None else None


def change_person(tx: Tx, person: PersonRow, **values: Any) -> None:
    """Write new values of the person's columns, and keep the row in step."""
    for name, value in values.items():
        setattr(person, name, value)
    tx.execute(_update_by_id("people", frozenset(values)), id=person.id, **values)


def change_chat(tx: Tx, chat: ChatRow, **values: Any) -> None:
    for name, value in values.items():
        setattr(chat, name, value)
    tx.execute(_update_by_id("chats", frozenset(values)), id=chat.id, **values)


@functools.cache
def _update_by_id(table_name: str, columns: frozenset[str]) -> Prepared:
    table = _PEOPLE if table_name == "people" else _CHATS

    def build(_dialect: str) -> Executable:
        return (
            update(table)
            .where(table.c.id == bindparam("id"))
            .values({name: bindparam(name) for name in sorted(columns)})
        )

    return Prepared(build)


# --- what to ask ------------------------------------------------------------------------------


class QuestionScope(Protocol):
    """Which questions a quiz draws from (bot.store.queries.QuestionScope fits)."""

    @property
    def topic_id(self) -> str | None: ...
    @property
    def level(self) -> str | None: ...


_QUESTION = _QUESTIONS.c
_SCHEDULE = _SCHEDULES.c


def _live(has_topic: bool, has_level: bool) -> Any:
    condition: Any = _QUESTION.retired == false()  # "= false", which an index can serve
    if has_topic:
        condition = and_(condition, _QUESTION.topic_id == bindparam("topic_id"))
    if has_level:
        condition = and_(condition, _QUESTION.level == bindparam("level"))
    return condition


@functools.cache
def _next_due(has_topic: bool, has_level: bool) -> Prepared:
    return Prepared(
        lambda _dialect: (
            select(_QUESTION.id)
            .select_from(_QUESTIONS)
            .join(_SCHEDULES, _SCHEDULE.question_id == _QUESTION.id)
            .where(
                _SCHEDULE.person_id == bindparam("person_id"),
                _SCHEDULE.due <= bindparam("now"),
                _live(has_topic, has_level),
            )
            .order_by(_SCHEDULE.due)
            .limit(1)
        )
    )


@functools.cache
def _next_new(has_topic: bool, has_level: bool) -> Prepared:
    def build(_dialect: str) -> Executable:
        seen = exists().where(
            _SCHEDULE.person_id == bindparam("person_id"), _SCHEDULE.question_id == _QUESTION.id
        )
        return (
            select(_QUESTION.id)
            .where(_live(has_topic, has_level), ~seen)
            .order_by(_QUESTION.position)
            .limit(1)
        )

    return Prepared(build)


def _scope(scope: QuestionScope) -> tuple[tuple[bool, bool], dict[str, Any]]:
    values: dict[str, Any] = {}
    if scope.topic_id is not None:
        values["topic_id"] = scope.topic_id
    if scope.level is not None:
        values["level"] = scope.level
    return (scope.topic_id is not None, scope.level is not None), values


def next_due_question(tx: Tx, person_id: int, now: datetime, scope: QuestionScope) -> str | None:
    """The id of the person's most overdue question."""
    shape, values = _scope(scope)
    return tx.scalar(_next_due(*shape), person_id=person_id, now=now, **values)


def next_new_question(tx: Tx, person_id: int, scope: QuestionScope) -> str | None:
    """The id of the first question the person has never reviewed, in bank order."""
    shape, values = _scope(scope)
    return tx.scalar(_next_new(*shape), person_id=person_id, **values)


# --- asks, answers and schedules --------------------------------------------------------------

_ASK = _ASKS.c
_ASK_COLUMNS = _selected(_ASKS, AskRow)
_SCHEDULE_COLUMNS = _selected(_SCHEDULES, ScheduleRow)
_N_ASK = len(_ASK_COLUMNS)

_CREATE_ASK = Prepared(
    lambda _dialect: (
        insert(_ASKS)
        .values(
            chat_id=bindparam("chat_id"),
            question_id=bindparam("question_id"),
            person_id=bindparam("person_id"),
            created_at=bindparam("now"),
            is_daily=bindparam("is_daily"),
            interview_id=bindparam("interview_id"),
        )
        .returning(_ASK.id)
    )
)
_ASK_BY_ID = Prepared(lambda _dialect: select(*_ASK_COLUMNS).where(_ASK.id == bindparam("id")))
_ASK_BY_REF = Prepared(
    lambda _dialect: select(*_ASK_COLUMNS).where(_ASK.platform_ref == bindparam("ref"))
)
_ASK_AND_SCHEDULE = Prepared(
    lambda _dialect: (
        select(*_ASK_COLUMNS, *_SCHEDULE_COLUMNS)
        .select_from(_ASKS)
        .outerjoin(
            _SCHEDULES,
            and_(
                _SCHEDULE.question_id == _ASK.question_id,
                _SCHEDULE.person_id == bindparam("person_id"),
            ),
        )
        .where(_ASK.id == bindparam("ask_id"))
    )
)
_SET_ASK_REF = Prepared(
    lambda _dialect: (
        update(_ASKS).where(_ASK.id == bindparam("ask_id")).values(platform_ref=bindparam("ref"))
    )
)
_INSERT_REVIEW = Prepared(
    lambda dialect: (
        dialect_insert(dialect, _REVIEWS)
        .values(
            ask_id=bindparam("ask_id"),
            person_id=bindparam("person_id"),
            chat_id=bindparam("chat_id"),
            question_id=bindparam("question_id"),
            rating=bindparam("rating"),
            correct=bindparam("correct"),
            reviewed_at=bindparam("reviewed_at"),
            local_date=bindparam("local_date"),
        )
        .on_conflict_do_nothing(index_elements=["ask_id", "person_id"])
        .returning(_REVIEWS.c.id)
    )
)
_ANSWERS_TO_ASK = Prepared(
    lambda _dialect: (
        select(func.count()).select_from(_REVIEWS).where(_REVIEWS.c.ask_id == bindparam("ask_id"))
    )
)


def _save_schedule(dialect: str) -> Executable:
    statement = dialect_insert(dialect, _SCHEDULES).values(
        person_id=bindparam("person_id"),
        question_id=bindparam("question_id"),
        **{name: bindparam(name) for name in SCHEDULE_STATE},
    )
    return statement.on_conflict_do_update(
        index_elements=["person_id", "question_id"],
        set_={name: statement.excluded[name] for name in SCHEDULE_STATE},
    )


_SAVE_SCHEDULE = Prepared(_save_schedule)


def create_ask(
    tx: Tx,
    chat_id: int,
    question_id: str,
    person_id: int | None,
    now: datetime,
    is_daily: bool = False,
    interview_id: int | None = None,
) -> int:
    """Record that a question was put to a chat; returns the ask's id."""
    return int(
        tx.scalar(
            _CREATE_ASK,
            chat_id=chat_id,
            question_id=question_id,
            person_id=person_id,
            now=now,
            is_daily=is_daily,
            interview_id=interview_id,
        )
    )


def ask(tx: Tx, ask_id: int) -> AskRow | None:
    row = tx.first(_ASK_BY_ID, id=ask_id)
    return AskRow(*row) if row is not None else None


def ask_by_ref(tx: Tx, platform_ref: str) -> AskRow | None:
    row = tx.first(_ASK_BY_REF, ref=platform_ref)
    return AskRow(*row) if row is not None else None


def ask_and_schedule(
    tx: Tx, ask_id: int, person_id: int
) -> tuple[AskRow, ScheduleRow | None] | None:
    """An ask and the person's schedule for its question (if any), in one statement."""
    row = tx.first(_ASK_AND_SCHEDULE, ask_id=ask_id, person_id=person_id)
    if row is None:
        return None
    schedule = ScheduleRow(*row[_N_ASK:]) if row[_N_ASK] is not None else None
    return AskRow(*row[:_N_ASK]), schedule


def set_ask_refs(tx: Tx, refs: dict[str, int]) -> None:
    """Remember which platform object (a Telegram poll) carries each ask: {ref: ask id}."""
    tx.execute_many(_SET_ASK_REF, [{"ask_id": ask_id, "ref": ref} for ref, ask_id in refs.items()])


def insert_review(
    tx: Tx,
    *,
    ask_id: int | None,
    person_id: int,
    chat_id: int | None,
    question_id: str,
    rating: int,
    correct: bool | None,
    reviewed_at: datetime,
    local_date: date,
) -> bool:
    """Record an answer; False when this person already answered this ask (a double click).
    Of two racing inserts exactly one wins, on SQLite and PostgreSQL."""
    inserted = tx.first(
        _INSERT_REVIEW,
        ask_id=ask_id,
        person_id=person_id,
        chat_id=chat_id,
        question_id=question_id,
        rating=rating,
        correct=correct,
        reviewed_at=reviewed_at,
        local_date=local_date,
    )
    return inserted is not None


def save_schedule(tx: Tx, schedule: ScheduleRow) -> None:
    """Insert or update the person's schedule for the question, in one statement."""
    tx.execute(_SAVE_SCHEDULE, **values_of(schedule))


_REVIEW_DATES = Prepared(
    lambda _dialect: (
        select(_REVIEWS.c.local_date)
        .where(_REVIEWS.c.person_id == bindparam("person_id"))
        .distinct()
        .order_by(_REVIEWS.c.local_date.desc())
    )
)


def review_dates(tx: Tx, person_id: int) -> list[date]:
    """The distinct local days on which the person answered, newest first (for the streak,
    shown with every daily push)."""
    return [day for (day,) in tx.rows(_REVIEW_DATES, person_id=person_id)]


def answers_to_ask(tx: Tx, ask_id: int) -> int:
    return int(tx.scalar(_ANSWERS_TO_ASK, ask_id=ask_id))


# --- the inbox --------------------------------------------------------------------------------

_INBOX = _UPDATES.c
_STORE_UPDATE = Prepared(
    lambda dialect: (
        dialect_insert(dialect, _UPDATES)
        .values(
            platform=bindparam("platform"),
            key=bindparam("inbox_key"),
            payload=bindparam("payload"),
            received_at=bindparam("now"),
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(_INBOX.key)
    )
)
_FINISH_UPDATE = Prepared(
    lambda _dialect: (
        update(_UPDATES)
        .where(_INBOX.key == bindparam("inbox_key"), _INBOX.handled_at.is_(None))
        .values(
            handled_at=bindparam("at"), reply_to=bindparam("reply_to"), replies=bindparam("replies")
        )
    )
)
_IN_INBOX = Prepared(lambda _dialect: select(_INBOX.id).where(_INBOX.key == bindparam("inbox_key")))
_MARK_SENT = Prepared(
    lambda _dialect: (
        update(_UPDATES).where(_INBOX.key == bindparam("inbox_key")).values(replies=None)
    )
)


def store_updates(
    tx: Tx, platform: str, updates: Sequence[tuple[str, str]], now: datetime
) -> list[str]:
    """Store (key, payload) updates; returns the keys that were new (a redelivery is not)."""
    return [
        key
        for key, payload in updates
        if tx.first(_STORE_UPDATE, platform=platform, inbox_key=key, payload=payload, now=now)
        is not None
    ]


def finish_update(
    tx: Tx, key: str, now: datetime, reply_to: str | None, replies: str | None
) -> bool:
    """Mark the update handled and keep its replies (the outbox), at the end of the handling's
    own transaction, in one statement. False when it was handled already (by this process
    before a crash, or by another): then its effects exist, and this handling's must go."""
    if tx.execute(_FINISH_UPDATE, inbox_key=key, at=now, reply_to=reply_to, replies=replies):
        return True
    # Not in the inbox at all (an event that did not come through one): nothing to mark.
    return tx.first(_IN_INBOX, inbox_key=key) is None


def mark_handled(tx: Tx, keys: Sequence[str], now: datetime) -> None:
    """Updates the bot looked at and had nothing to do with (chatter in a group), or answered
    from a read transaction: handled, with no replies to keep."""
    tx.execute_many(
        _FINISH_UPDATE,
        [{"inbox_key": key, "at": now, "reply_to": None, "replies": None} for key in keys],
    )


def mark_sent(tx: Tx, keys: Sequence[str]) -> None:
    tx.execute_many(_MARK_SENT, [{"inbox_key": key} for key in keys])
