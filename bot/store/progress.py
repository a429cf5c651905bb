"""What the /stats picture is drawn from: one person's answers per day and their FSRS cards."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import Question, Review, Schedule, Topic
from bot.store.rows import ScheduleRow, columns_of

__all__ = ["answers_per_day", "cards"]


def answers_per_day(session: Session, person_id: int, since: date) -> dict[date, int]:
    """How many answers the person gave on each local day from `since` on (days with none are
    absent)."""
    result = session.execute(
        select(Review.local_date, func.count())
        .where(Review.person_id == person_id, Review.local_date >= since)
        .group_by(Review.local_date)
    )
    return {day: int(count) for day, count in result.all()}


def cards(session: Session, person_id: int) -> list[tuple[str, ScheduleRow]]:
    """Every card the person has for a question still in the bank, with its topic's title."""
    result = session.execute(
        select(Topic.title, *(getattr(Schedule, name) for name in columns_of(ScheduleRow)))
        .select_from(Schedule)
        .join(Question, Question.id == Schedule.question_id)
        .join(Topic, Topic.id == Question.topic_id)
        .where(Schedule.person_id == person_id, Question.retired.is_(False))
    )
    return [(title, ScheduleRow(*card)) for title, *card in result.all()]
