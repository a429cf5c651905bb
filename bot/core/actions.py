"""Button actions: short strings that survive a round trip through any platform.

They carry no trust: the core checks every action against the database before acting.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Action",
    "answer",
    "explain",
    "forget",
    "next_question",
    "parse",
    "quiz",
    "rate",
    "reveal",
    "topics",
]


@dataclass(frozen=True)
class Action:
    verb: str
    ask_id: int | None = None
    value: int | None = None
    topic: str | None = None


def answer(ask_id: int, option: int) -> str:
    return f"answer:{ask_id}:{option}"


def reveal(ask_id: int) -> str:
    return f"reveal:{ask_id}"


def rate(ask_id: int, rating: int) -> str:
    return f"rate:{ask_id}:{rating}"


def quiz(topic_id: str | None = None) -> str:
    return f"quiz:{topic_id}" if topic_id else "quiz"


def next_question() -> str:
    return "quiz"


def forget(*, confirm: bool) -> str:
    return "forget:yes" if confirm else "forget:no"


def topics() -> str:
    return "topics"


def explain(topic_id: str) -> str:
    return f"explain:{topic_id}"


def parse(action: str) -> Action | None:
    """Parse an action string; None for anything malformed."""
    if len(action) > 64:
        return None
    verb, _, rest = action.partition(":")
    parts = rest.split(":") if rest else []
    try:
        if verb in {"answer", "rate"} and len(parts) == 2:
            return Action(verb, ask_id=int(parts[0]), value=int(parts[1]))
        if verb == "reveal" and len(parts) == 1:
            return Action(verb, ask_id=int(parts[0]))
    except ValueError:
        return None
    if verb == "quiz" and len(parts) <= 1:
        return Action(verb, topic=parts[0] if parts else None)
    if verb == "forget" and parts in (["yes"], ["no"]):
        return Action(verb, topic=parts[0])
    if verb == "topics" and not parts:
        return Action(verb)
    if verb == "explain" and len(parts) == 1 and parts[0]:
        return Action(verb, topic=parts[0])
    return None
