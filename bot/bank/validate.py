"""Rules every bank must meet so that every platform can show every question."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from bot.bank.model import Bank, CardQuestion, ChoiceQuestion, Problem, Topic
from bot.bank.parse import parse_topic_file

__all__ = [
    "MAX_CARD_ANSWER",
    "MAX_EXPLANATION",
    "MAX_OPTION",
    "MAX_OPTIONS",
    "MAX_PROMPT",
    "MAX_WHY",
    "MIN_OPTIONS",
    "load_bank",
    "validate_topics",
]

# Telegram quiz polls are the tightest platform: question 1-300, options 2-10 of 1-100,
# explanation 0-200 characters.
MAX_PROMPT = 300
MIN_OPTIONS = 2
MAX_OPTIONS = 10
MAX_OPTION = 100
MAX_WHY = 200
MAX_CARD_ANSWER = 1500
MAX_EXPLANATION = 3800

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def load_bank(directory: Path) -> tuple[Bank, list[Problem]]:
    """Parse and validate every `*.md` topic file in `directory` (README.md is skipped)."""
    if not directory.is_dir():
        return Bank(()), [Problem(directory, 0, "content directory does not exist")]
    topics: list[Topic] = []
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.md")):
        if path.name.lower() == "readme.md" or path.name.startswith("_"):
            continue
        topic, file_problems = parse_topic_file(path)
        problems.extend(file_problems)
        if topic is not None:
            topics.append(topic)
    problems.extend(validate_topics(topics))
    if not topics and not problems:
        problems.append(Problem(directory, 0, "no topic files (*.md) found"))
    return Bank(tuple(topics)), problems


def validate_topics(topics: list[Topic]) -> list[Problem]:
    problems: list[Problem] = []
    topic_ids = Counter(topic.id for topic in topics)
    question_ids = Counter(q.id for topic in topics for q in topic.questions)
    for topic in topics:
        problems.extend(_validate_topic(topic, topic_ids, question_ids))
    return problems


def _validate_topic(
    topic: Topic, topic_ids: Counter[str], question_ids: Counter[str]
) -> list[Problem]:
    path = topic.path
    problems: list[Problem] = []

    def add(line: int, message: str) -> None:
        problems.append(Problem(path, line, message))

    if not _ID.match(topic.id):
        add(1, f"topic id {topic.id!r} must be lowercase letters, digits and '-'")
    if topic_ids[topic.id] > 1:
        add(1, f"topic id {topic.id!r} is used by more than one file")
    for target in topic.see_also:
        if target not in topic_ids:
            add(1, f"see_also names {target!r}, which is not a topic")
        if target == topic.id:
            add(1, "see_also names the topic itself")
    if len(topic.explanation) > MAX_EXPLANATION:
        add(1, f"explanation is {len(topic.explanation)} characters; at most {MAX_EXPLANATION}")
    if not topic.questions:
        add(1, "topic has no questions")

    for question in topic.questions:
        line = question.line
        label = f"{question.kind} {question.id}"
        if not _ID.match(question.id):
            add(line, f"{label}: id must be lowercase letters, digits and '-' (at most 64)")
        if question_ids[question.id] > 1:
            add(line, f"{label}: question id is used more than once")
        if len(question.prompt) > MAX_PROMPT:
            add(
                line,
                f"{label}: question is {len(question.prompt)} characters; at most {MAX_PROMPT}",
            )
        if isinstance(question, ChoiceQuestion):
            count = len(question.options)
            if not MIN_OPTIONS <= count <= MAX_OPTIONS:
                add(line, f"{label}: has {count} options; needs {MIN_OPTIONS} to {MAX_OPTIONS}")
            for option in question.options:
                if not option:
                    add(line, f"{label}: an option is empty")
                elif len(option) > MAX_OPTION:
                    add(
                        line,
                        f"{label}: option {option[:30]!r}... is {len(option)} characters;"
                        f" at most {MAX_OPTION}",
                    )
            if len(set(question.options)) != count:
                add(line, f"{label}: two options are the same")
            if len(question.why) > MAX_WHY:
                add(line, f"{label}: why is {len(question.why)} characters; at most {MAX_WHY}")
        elif isinstance(question, CardQuestion) and len(question.answer) > MAX_CARD_ANSWER:
            add(
                line,
                f"{label}: answer is {len(question.answer)} characters; at most {MAX_CARD_ANSWER}",
            )
    return problems
