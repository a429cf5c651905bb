"""Spaced repetition with FSRS: a person's card for a question, reviewed at a given time."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum

from fsrs import Card, Rating, Scheduler, State

from bot.store.models import Schedule
from bot.store.progress import StoredCard
from bot.store.rows import ScheduleRow

__all__ = [
    "Recall",
    "apply_review",
    "make_scheduler",
    "rating_for_choice",
    "retrievability",
]


class Recall(IntEnum):
    """The person's own rating of a card, as FSRS numbers it."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


def make_scheduler(*, fuzzing: bool = True) -> Scheduler:
    return Scheduler(enable_fuzzing=fuzzing)


def rating_for_choice(correct: bool) -> Recall:
    return Recall.GOOD if correct else Recall.AGAIN


def apply_review(
    scheduler: Scheduler,
    schedule: ScheduleRow | None,
    person_id: int,
    question_id: str,
    recall: Recall,
    now: datetime,
) -> ScheduleRow:
    """Review the person's card for the question at `now`; returns the card's new state."""
    card = _to_card(schedule, now)
    card, _log = scheduler.review_card(card, Rating(int(recall)), review_datetime=now)
    return ScheduleRow(
        person_id=person_id,
        question_id=question_id,
        state=int(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


def replay(scheduler: Scheduler, schedule: Schedule, history: list[tuple[int, datetime]]) -> None:
    """Rebuild the card from its whole review history, (rating, when), oldest first: what FSRS
    would hold had every review been made on one schedule."""
    if not history:
        return
    # fsrs wants datetime.UTC itself; PostgreSQL hands back its own zero-offset zone.
    moments = [(rating, when.astimezone(UTC)) for rating, when in history]
    card = Card(card_id=0, due=moments[0][1])
    for rating, when in moments:
        card, _log = scheduler.review_card(card, Rating(rating), review_datetime=when)
    schedule.state = int(card.state)
    schedule.step = card.step
    schedule.stability = card.stability
    schedule.difficulty = card.difficulty
    schedule.due = card.due
    schedule.last_review = card.last_review


def retrievability(scheduler: Scheduler, stored: StoredCard, now: datetime) -> float:
    """FSRS's chance that the person recalls the card's answer at `now` (0 before any review)."""
    card = Card(
        card_id=0,
        state=State(stored.state),
        step=stored.step,
        stability=stored.stability,
        difficulty=stored.difficulty,
        due=stored.due,
        last_review=stored.last_review,
    )
    return float(scheduler.get_card_retrievability(card, current_datetime=now))


def _to_card(schedule: ScheduleRow | None, now: datetime) -> Card:
    # An explicit card_id: without one, fsrs.Card sleeps a millisecond to make its id unique.
    if schedule is None:
        return Card(card_id=0, due=now)
    return Card(
        card_id=0,
        state=State(schedule.state),
        step=schedule.step,
        stability=schedule.stability,
        difficulty=schedule.difficulty,
        due=schedule.due,
        last_review=schedule.last_review,
    )
