"""What the /stats picture shows, as plain data: answers per day over the last 12 weeks, how well
each topic is held now, and the reviews due over the next 14 days. Drawn by `bot.charts`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "DAYS_AHEAD",
    "HISTORY_DAYS",
    "HISTORY_WEEKS",
    "CardHold",
    "ProgressData",
    "TopicHold",
    "build_progress_data",
    "counted",
]

HISTORY_WEEKS = 12
HISTORY_DAYS = HISTORY_WEEKS * 7
DAYS_AHEAD = 14
SHOWN_TOPICS = 8  # on a phone, more bars than this get too thin to read


@dataclass(frozen=True)
class CardHold:
    """One reviewed question: its topic, FSRS's chance of recalling it now, when it is due."""

    topic_title: str
    retrievability: float
    due: datetime


@dataclass(frozen=True)
class TopicHold:
    """How well a topic is held now: the mean retrievability of its reviewed questions."""

    title: str
    retrievability: float
    questions: int


@dataclass(frozen=True)
class ProgressData:
    """`answers`: per local day, oldest first, the last being `today`; `topics`: weakest first;
    `due`: reviews due per local day, today first (today counts what is overdue too)."""

    today: date
    answers: tuple[int, ...]
    topics: tuple[TopicHold, ...]
    due: tuple[int, ...]

    @property
    def first_day(self) -> date:
        return self.today - timedelta(days=len(self.answers) - 1)

    @property
    def is_empty(self) -> bool:
        return not any(self.answers) and not self.topics and not any(self.due)

    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range(len(self.answers))]

    def weekly_totals(self) -> list[int]:
        """Answers per 7-day week, oldest first; the last week ends today."""
        return [sum(self.answers[start : start + 7]) for start in range(0, len(self.answers), 7)]

    def shown_topics(self) -> tuple[TopicHold, ...]:
        """The topics worth a bar: all of them when few, else the weakest and the strongest."""
        if len(self.topics) <= SHOWN_TOPICS:
            return self.topics
        half = SHOWN_TOPICS // 2
        return self.topics[:half] + self.topics[-half:]

    def summary(self) -> str:
        """The picture in words (alt text)."""
        if self.is_empty:
            return "Your progress picture: nothing yet. Answer a question with /quiz to start."
        answered = sum(self.answers)
        active_days = sum(1 for count in self.answers if count)
        parts = [
            f"Last {HISTORY_WEEKS} weeks: {counted(answered, 'answer')} on "
            f"{counted(active_days, 'day')}.",
        ]
        if self.topics:
            weakest, strongest = self.topics[0], self.topics[-1]
            parts.append(f"Weakest topic now: {weakest.title} ({weakest.retrievability:.0%}).")
            if strongest != weakest:
                parts.append(f"Strongest: {strongest.title} ({strongest.retrievability:.0%}).")
        parts.append(f"Reviews due in the next {DAYS_AHEAD} days: {sum(self.due)}.")
        return " ".join(parts)


def counted(count: int, noun: str) -> str:
    """'1 answer', '3 answers'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def build_progress_data(
    today: date,
    zone: str | None,
    answers_by_day: Mapping[date, int],
    cards: Iterable[CardHold],
) -> ProgressData:
    """The picture's data from a person's answers per local day and their reviewed cards."""
    first = today - timedelta(days=HISTORY_DAYS - 1)
    answers = tuple(answers_by_day.get(first + timedelta(days=n), 0) for n in range(HISTORY_DAYS))
    local = ZoneInfo(zone or "UTC")
    due = [0] * DAYS_AHEAD
    held: dict[str, list[float]] = defaultdict(list)
    for card in cards:
        held[card.topic_title].append(card.retrievability)
        ahead = (card.due.astimezone(local).date() - today).days
        if ahead < DAYS_AHEAD:
            due[max(ahead, 0)] += 1
    topics = sorted(
        (
            TopicHold(title, sum(values) / len(values), len(values))
            for title, values in held.items()
        ),
        key=lambda topic: (topic.retrievability, topic.title),
    )
    return ProgressData(today=today, answers=answers, topics=tuple(topics), due=tuple(due))
