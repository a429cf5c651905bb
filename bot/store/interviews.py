"""Queries behind mock interview rounds: starting one, the questions to pick from, claiming a
round's next step, its answers, and the last rounds' scores."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, null, select, update
from sqlalchemy.orm import Session

from bot.store.models import (
    Ask,
    Chat,
    Interview,
    InterviewAnswer,
    Person,
    Question,
    Review,
    Schedule,
)
from bot.store.queries import dialect_insert, insert_ignore

__all__ = [
    "Candidate",
    "answers",
    "ask",
    "candidates",
    "claim_abandoned",
    "claim_current",
    "claim_end",
    "claim_expired",
    "context",
    "questions",
    "recent_scores",
    "record_answer",
    "running",
    "start",
    "topic_results",
]


@dataclass(frozen=True)
class Candidate:
    """A question a round may ask, with the person's schedule for it (None: never seen)."""

    question_id: str
    topic_id: str
    level: str
    position: int
    due: datetime | None


def running(session: Session, running_key: str) -> Interview | None:
    return session.execute(
        select(Interview).where(Interview.running_key == running_key)
    ).scalar_one_or_none()


def start(session: Session, values: dict[str, Any]) -> Interview | None:
    """A new running round; None when one with the same running key runs already (two
    /interview commands at once: one wins)."""
    statement = _insert_round(session.get_bind().dialect.name).values(**values)
    return session.execute(statement).scalar_one_or_none()


@functools.cache
def _insert_round(dialect: str) -> Any:
    return (
        dialect_insert(dialect, Interview)
        .on_conflict_do_nothing(index_elements=["running_key"])
        .returning(Interview)
    )


def candidates(
    session: Session,
    person_id: int | None,
    level: str | None,
    topic_ids: Collection[str],
    kinds: Collection[str],
) -> list[Candidate]:
    """Live questions of these kinds (at this level, in these topics when given), with the
    person's due date for each."""
    due = (
        select(Schedule.due)
        .where(Schedule.person_id == person_id, Schedule.question_id == Question.id)
        .scalar_subquery()
        if person_id is not None
        else None
    )
    columns: list[Any] = [Question.id, Question.topic_id, Question.level, Question.position]
    statement = select(*columns, due if due is not None else null()).where(
        Question.retired.is_(False), Question.kind.in_(list(kinds))
    )
    if level is not None:
        statement = statement.where(Question.level == level)
    if topic_ids:
        statement = statement.where(Question.topic_id.in_(list(topic_ids)))
    rows = session.execute(statement.order_by(Question.position)).all()
    return [Candidate(row[0], row[1], row[2], int(row[3]), row[4]) for row in rows]


def topic_results(session: Session, person_id: int) -> dict[str, tuple[int, int]]:
    """{topic id: (choice answers, right ones)} over the person's whole history."""
    right = func.count().filter(Review.correct.is_(True))
    rows = session.execute(
        select(Question.topic_id, func.count(), right)
        .select_from(Review)
        .join(Question, Question.id == Review.question_id)
        .where(Review.person_id == person_id, Review.correct.is_not(None))
        .group_by(Question.topic_id)
    ).all()
    return {topic: (int(total), int(good)) for topic, total, good in rows}


def context(session: Session, interview_id: int) -> tuple[Interview, Chat, Person]:
    row = session.execute(
        select(Interview, Chat, Person)
        .join(Chat, Chat.id == Interview.chat_id)
        .join(Person, Person.id == Interview.person_id)
        .where(Interview.id == interview_id)
        .execution_options(populate_existing=True)
    ).one()
    return row[0], row[1], row[2]


def ask(session: Session, ask_id: int | None) -> Ask | None:
    return session.get(Ask, ask_id) if ask_id is not None else None


def questions(session: Session, ids: Collection[str]) -> dict[str, Question]:
    found = session.execute(select(Question).where(Question.id.in_(list(ids)))).scalars()
    return {question.id: question for question in found}


# --- claims: one atomic UPDATE each, so that of two processes (or an answer and the ticker)
# exactly one acts on a round's step. On PostgreSQL a second UPDATE waits for the first's
# commit and then re-checks its WHERE against the new row, which no longer matches.


def claim_current(
    session: Session, interview_id: int, ask_id: int, now: datetime
) -> Interview | None:
    """The running round whose question on screen is this ask, claimed for an answer."""
    claimed = session.execute(
        update(Interview)
        .where(
            Interview.id == interview_id,
            Interview.state == "running",
            Interview.current_ask_id == ask_id,
        )
        .values(last_activity=now)
        .returning(Interview.id)
    ).first()
    if claimed is None:
        return None
    return session.get(Interview, interview_id, populate_existing=True)


def claim_end(session: Session, interview_id: int, state: str, now: datetime) -> bool:
    """End a running round (stopped); False when it already ended."""
    ended = session.execute(
        update(Interview)
        .where(Interview.id == interview_id, Interview.state == "running")
        .values(state=state, running_key=None, deadline=None, ended_at=now)
        .returning(Interview.id)
    ).first()
    return ended is not None


def claim_expired(
    session: Session, now: datetime, platforms: Collection[str], limit: int
) -> list[int]:
    """Running rounds on these platforms whose question's deadline has passed, each claimed by
    clearing its deadline."""
    due = (
        select(Interview.id)
        .join(Chat, Chat.id == Interview.chat_id)
        .where(
            Interview.state == "running",
            Interview.deadline <= now,
            Chat.platform.in_(list(platforms)),
        )
        .order_by(Interview.deadline)
        .limit(limit)
    )
    return _claim(session, due, [Interview.deadline <= now], {"deadline": None})


def claim_abandoned(
    session: Session, idle_since: datetime, platforms: Collection[str], limit: int
) -> list[int]:
    """Running rounds on these platforms left alone since `idle_since` or before, each claimed
    by ending it."""
    idle = (
        select(Interview.id)
        .join(Chat, Chat.id == Interview.chat_id)
        .where(
            Interview.state == "running",
            Interview.last_activity <= idle_since,
            Chat.platform.in_(list(platforms)),
        )
        .limit(limit)
    )
    values = {"state": "abandoned", "running_key": None, "deadline": None}
    return _claim(session, idle, [Interview.last_activity <= idle_since], values)


def _claim(session: Session, chosen: Any, still: list[Any], values: dict[str, Any]) -> list[int]:
    ids = list(session.execute(chosen).scalars())
    if not ids:
        return []
    claimed = session.execute(
        update(Interview)
        .where(Interview.id.in_(ids), Interview.state == "running", *still)
        .values(**values)
        .returning(Interview.id)
    )
    return sorted(int(interview_id) for interview_id in claimed.scalars())


def record_answer(session: Session, **values: Any) -> bool:
    """One person's result on one question of a round; False when they answered it already."""
    return insert_ignore(
        session, InterviewAnswer, values, ["interview_id", "position", "person_id"]
    )


def answers(session: Session, interview_id: int) -> Sequence[tuple[InterviewAnswer, Person]]:
    rows = session.execute(
        select(InterviewAnswer, Person)
        .join(Person, Person.id == InterviewAnswer.person_id)
        .where(InterviewAnswer.interview_id == interview_id)
        .order_by(InterviewAnswer.position, InterviewAnswer.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def recent_scores(
    session: Session, person_id: int, limit: int = 3
) -> list[tuple[datetime, int, int]]:
    """The person's last ended rounds of their own, newest first: (ended at, right, asked)."""
    outcome = InterviewAnswer.outcome
    recalled = (outcome == "right") | ((outcome == "rated") & (InterviewAnswer.rating > 1))
    rows = session.execute(
        select(
            Interview.ended_at,
            func.count(InterviewAnswer.id).filter(recalled),
            func.count(InterviewAnswer.id),
        )
        .join(InterviewAnswer, InterviewAnswer.interview_id == Interview.id)
        .where(
            Interview.person_id == person_id,
            Interview.is_group.is_(False),
            Interview.ended_at.is_not(None),
        )
        .group_by(Interview.id, Interview.ended_at)
        .order_by(Interview.ended_at.desc(), Interview.id.desc())
        .limit(limit)
    ).all()
    return [(ended, int(good), int(asked)) for ended, good, asked in rows if ended is not None]
