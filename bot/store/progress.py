"""What the /stats picture is drawn from: one person's answers per day and their FSRS cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import Question, Review, Schedule, Topic

__all__ = ["StoredCard", "answers_per_day", "cards"]


@dataclass(frozen=True)
class StoredCard:
    """A person's schedule for one live question, as stored, with its topic's title."""

    topic_title: str
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None


def answers_per_day(session: Session, person_id: int, since: date) -> dict[date, int]:
    """How many answers the person gave on each local day from `since` on (days with none are
    absent)."""
    result = session.execute(
        select(Review.local_date, func.count())
        .where(Review.person_id == person_id, Review.local_date >= since)
        .group_by(Review.local_date)
    )
    return {day: int(count) for day, count in result.all()}


def cards(session: Session, person_id: int) -> list[StoredCard]:
    """Every card the person has for a question still in the bank."""
    result = session.execute(
        select(
            Topic.title,
            Schedule.state,
            Schedule.step,
            Schedule.stability,
            Schedule.difficulty,
            Schedule.due,
            Schedule.last_review,
        )
        .select_from(Schedule)
        .join(Question, Question.id == Schedule.question_id)
        .join(Topic, Topic.id == Question.topic_id)
        .where(Schedule.person_id == person_id, Question.retired.is_(False))
    )
    return [StoredCard(*row) for row in result.all()]
