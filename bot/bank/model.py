"""Plain data for a parsed bank: topics and their questions, with the line each came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["LEVELS", "Bank", "CardQuestion", "ChoiceQuestion", "Problem", "Question", "Topic"]

# How hard an interviewer would consider a question, easiest first.
LEVELS = ("junior", "mid", "senior")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a content file, reported as `file:line: message`."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class ChoiceQuestion:
    id: str
    prompt: str
    options: tuple[str, ...]
    correct_index: int
    why: str
    line: int
    level: str = "mid"

    kind = "choice"


@dataclass(frozen=True)
class CardQuestion:
    id: str
    prompt: str
    answer: str
    line: int
    level: str = "mid"

    kind = "card"


Question = ChoiceQuestion | CardQuestion


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    explanation: str
    path: Path
    aliases: tuple[str, ...] = ()
    see_also: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    questions: tuple[Question, ...] = ()


@dataclass(frozen=True)
class Bank:
    topics: tuple[Topic, ...]

    @property
    def questions(self) -> list[Question]:
        return [q for topic in self.topics for q in topic.questions]

    def summary(self) -> str:
        questions = self.questions
        choices = sum(1 for q in questions if isinstance(q, ChoiceQuestion))
        cards = len(questions) - choices
        return (
            f"{len(self.topics)} topics, {len(questions)} questions "
            f"({choices} choice, {cards} cards)"
        )
