"""Spaced repetition with FSRS: a person's card for a question, reviewed at a given time."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from fsrs import Card, Rating, Scheduler, State

from bot.store.models import Schedule
from bot.store.rows import SCHEDULE_STATE, ScheduleRow

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
    card = _card(schedule) if schedule is not None else Card(card_id=0, due=now)
    card, _log = scheduler.review_card(card, Rating(int(recall)), review_datetime=now)
    return ScheduleRow(person_id=person_id, question_id=question_id, **_stored(card))


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
    for name, value in _stored(card).items():
        setattr(schedule, name, value)


def retrievability(scheduler: Scheduler, stored: ScheduleRow, now: datetime) -> float:
    """FSRS's chance that the person recalls the card's answer at `now` (0 before any review)."""
    return float(scheduler.get_card_retrievability(_card(stored), current_datetime=now))


def _card(stored: ScheduleRow) -> Card:
    # An explicit card_id: without one, fsrs.Card sleeps a millisecond to make its id unique.
    return Card(
        card_id=0,
        state=State(stored.state),
        step=stored.step,
        stability=stored.stability,
        difficulty=stored.difficulty,
        due=stored.due,
        last_review=stored.last_review,
    )


def _stored(card: Card) -> dict[str, Any]:
    """The card's state as a schedule stores it (its state as a plain number)."""
    return {name: getattr(card, name) for name in SCHEDULE_STATE} | {"state": int(card.state)}
