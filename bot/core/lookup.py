"""Finding topics for a person: `/topics`, `/explain`, and the topic and level of `/quiz`."""

from __future__ import annotations

from bot.bank.model import LEVELS
from bot.core import actions, quiz
from bot.core.explain import TopicIndex
from bot.core.replies import Button, Message, Reply
from bot.core.turn import Turn

__all__ = ["explain", "parse_level", "quiz_command", "topics"]

_LEVEL_WORDS = {level: level for level in LEVELS} | {"middle": "mid", "medior": "mid"}


def topics(turn: Turn, _args: str = "") -> list[Reply]:
    entries = list(turn.index.topics.values())
    if not entries:
        return [Message("The question bank is empty. Ask the bot's admin to load content.")]
    lines = ["**Topics**: pick one to drill it, or `/explain <topic>` to read it.", ""]
    lines += [f"- {topic.title} (`{topic.id}`)" for topic in entries]
    buttons = tuple(Button(topic.title[:60], actions.quiz(topic.id)) for topic in entries)
    return [Message("\n".join(lines), buttons=buttons)]


def parse_level(args: str) -> tuple[str | None, str]:
    """'senior celery' -> ('senior', 'celery'); a level may come first or last."""
    words = args.split()
    if words and words[0].lower() in _LEVEL_WORDS:
        return _LEVEL_WORDS[words[0].lower()], " ".join(words[1:])
    if len(words) > 1 and words[-1].lower() in _LEVEL_WORDS:
        return _LEVEL_WORDS[words[-1].lower()], " ".join(words[:-1])
    return None, args


def quiz_command(turn: Turn, args: str) -> list[Reply]:
    """`/quiz [level] [topic]`: without a level, the person's default level, if they set one."""
    level, query = parse_level(args)
    if level is None and not turn.in_group:
        level = turn.person.level
    topic_id: str | None = None
    if query:
        match = turn.index.find(query)
        if match.topic_id is None:
            return [no_match(turn.index, query, match.suggestions, verb="quiz")]
        topic_id = match.topic_id
    return quiz.ask_next(turn, topic_id, level=level)


def explain(turn: Turn, args: str) -> list[Reply]:
    if not args:
        return [
            Message("What should I explain? For example: /explain gil. /topics lists them all.")
        ]
    match = turn.index.find(args)
    if match.topic_id is None:
        return [no_match(turn.index, args, match.suggestions, verb="explain")]
    explanations = [
        found
        for topic_id in (match.topic_id, match.also)
        if topic_id is not None and (found := turn.catalog.explanation(topic_id)) is not None
    ]
    if not explanations:
        return [no_match(turn.index, args, (), verb="explain")]
    return list(explanations)  # a comparison of two topics: both, in turn


def no_match(index: TopicIndex, query: str, suggestions: tuple[str, ...], verb: str) -> Message:
    shown = query if len(query) <= 60 else query[:57] + "..."
    text = f"No topic matches “{shown}”."
    buttons: tuple[Button, ...] = ()
    if suggestions:
        titles = [index.topics[s].title for s in suggestions]
        text += " Did you mean: " + ", ".join(titles) + "?"
        make = actions.explain if verb == "explain" else actions.quiz
        buttons = tuple(Button(index.topics[s].title[:60], make(s)) for s in suggestions)
    else:
        text += " Type /topics to see them all."
    return Message(text, buttons=buttons)
