"""Progress: totals, accuracy, streaks, weakest topics, and group leaderboards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.core import actions
from bot.core.progress_data import HISTORY_DAYS, CardHold, ProgressData, build_progress_data
from bot.core.replies import Button, Message, Reply
from bot.core.srs import retrievability
from bot.core.turn import Turn, local_date
from bot.store import event_queries, interviews, queries
from bot.store import progress as stored_progress

__all__ = [
    "Progress",
    "Streak",
    "leaderboard",
    "progress",
    "progress_data",
    "stats",
    "streak_from_dates",
]


@dataclass(frozen=True)
class Streak:
    current: int
    best: int


@dataclass(frozen=True)
class Progress:
    answered: int
    graded: int
    correct: int
    due_now: int
    streak: Streak
    weakest: tuple[tuple[str, int, int], ...]
    level: str | None = None  # the default level of /quiz; None: every level
    rounds: tuple[tuple[date, int, int], ...] = ()  # last mock interviews: (day, right, asked)

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.graded if self.graded else None


def streak_from_dates(days_newest_first: list[date], today: date) -> Streak:
    """A day counts when the person answered at least once that (local) day.

    The current streak is still alive if the last answer was yesterday: today is not over.
    """
    days = sorted(set(days_newest_first), reverse=True)
    best = run = 0
    previous: date | None = None
    for day in days:
        run = run + 1 if previous is not None and previous - day == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    current = 0
    if days and today - days[0] <= timedelta(days=1):
        expected = days[0]
        for day in days:
            if day != expected:
                break
            current += 1
            expected = day - timedelta(days=1)
    return Streak(current=current, best=best)


def person_streak(turn: Turn) -> Streak:
    return streak_from_dates(event_queries.review_dates(turn.tx, turn.person.id), turn.today())


def progress(turn: Turn) -> Progress:
    answered, graded, correct = queries.review_totals(turn.session, turn.person.id)
    due_now = queries.due_count(turn.session, turn.person.id, turn.now)
    weakest = queries.topic_accuracy(turn.session, turn.person.id)
    return Progress(
        answered=answered,
        graded=graded,
        correct=correct,
        due_now=due_now,
        streak=person_streak(turn),
        weakest=tuple(weakest[:3]),
        level=turn.person.level,
        rounds=tuple(
            (local_date(ended, turn.person.timezone), right, asked)
            for ended, right, asked in interviews.recent_scores(turn.session, turn.person.id)
        ),
    )


def progress_data(turn: Turn) -> ProgressData:
    """The data of the person's progress picture (read here, drawn later off the loop)."""
    today = turn.today()
    since = today - timedelta(days=HISTORY_DAYS - 1)
    answers = stored_progress.answers_per_day(turn.session, turn.person.id, since)
    cards = [
        CardHold(title, retrievability(turn.scheduler, card, turn.now), card.due)
        for title, card in stored_progress.cards(turn.session, turn.person.id)
    ]
    return build_progress_data(today, turn.person.timezone, answers, cards)


def describe(progress: Progress) -> str:
    if progress.answered == 0:
        return "You have not answered anything yet. Type /quiz to start."
    accuracy = f"{progress.accuracy:.0%}" if progress.accuracy is not None else "n/a"
    lines = [
        "**Your progress**",
        "",
        f"- Answered: {progress.answered}",
        f"- Correct: {progress.correct} of {progress.graded} choice questions ({accuracy})",
        f"- Due now: {progress.due_now}",
        f"- Streak: {_days(progress.streak.current)} (best {_days(progress.streak.best)})",
        f"- /quiz level: {progress.level or 'every level'} (change it with /level)",
    ]
    if progress.rounds:
        scores = ", ".join(
            f"{right}/{asked} on {day:%d %b}" for day, right, asked in progress.rounds
        )
        lines.append(f"- Last mock interviews: {scores}")
    weak = [w for w in progress.weakest if w[2] < w[1]]
    if weak:
        lines += ["", "**Weakest topics**", ""]
        lines += [f"- {title}: {right}/{total}" for title, total, right in weak]
    return "\n".join(lines)


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def stats(turn: Turn, _args: str = "") -> list[Reply]:
    result = progress(turn)
    buttons = (Button("Start a quiz", actions.quiz()),)
    picture = progress_data(turn)
    return [Message(describe(result), buttons=buttons, private=turn.in_group, picture=picture)]


def leaderboard(turn: Turn, _args: str = "") -> list[Reply]:
    return [_leaderboard(turn)]


def _leaderboard(turn: Turn) -> Message:
    if not turn.in_group or turn.chat is None:
        return Message(
            "Leaderboards are for groups and channels: add me to one and use /quiz there."
        )
    week_start = turn.now - timedelta(days=7)
    week = queries.leaderboard(turn.session, turn.chat.id, since=week_start)
    ever = queries.leaderboard(turn.session, turn.chat.id, since=None)
    if not ever:
        return Message("No correct answers in this chat yet. Start with /quiz.")
    lines = ["**Leaderboard: last 7 days**", ""]
    lines += _ranked(week) or ["- nobody yet this week"]
    lines += ["", "**All time**", ""]
    lines += _ranked(ever)
    return Message("\n".join(lines))


def _ranked(rows: list[tuple[str, int]]) -> list[str]:
    return [f"{place}. {name}: {count}" for place, (name, count) in enumerate(rows, start=1)]
