"""What the core hands back: Markdown text, questions, explanations, buttons."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.core.progress_data import ProgressData

__all__ = [
    "APOLOGY",
    "DATABASE_AWAY",
    "DATABASE_AWAY_RETRY",
    "AnswerTally",
    "Button",
    "CardPrompt",
    "ChoicePrompt",
    "Expired",
    "Explanation",
    "Message",
    "Reply",
    "Whisper",
    "decode_replies",
    "encode_replies",
]


# What every platform says when handling failed on our side.
APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."
# What the bot says while its database is away: when the platform keeps the update for us
# (Telegram), and when it does not (a Slack slash command).
DATABASE_AWAY = (
    "Sorry, I cannot reach my database right now. I will answer this as soon as it is back."
)
DATABASE_AWAY_RETRY = (
    "Sorry, I cannot reach my database right now. Please send that again in a minute."
)


@dataclass(frozen=True)
class Button:
    label: str
    action: str  # see bot.core.actions; at most 64 bytes so every platform can carry it


@dataclass(frozen=True)
class Message:
    """Markdown text with optional buttons.

    `replace`: show it in place of the message whose button was pressed, where the platform can.
    `private`: in a group, only the person who acted should see it (Slack: ephemeral).
    `picture`: the data of a progress picture to send with the text, which becomes its
    caption where the platform has captions. Adapters draw it off the event loop
    (`bot.charts.progress_png`); the terminal shows a sparkline instead.
    """

    markdown: str
    buttons: tuple[Button, ...] = ()
    replace: bool = False
    private: bool = False
    picture: ProgressData | None = None


@dataclass(frozen=True)
class ChoicePrompt:
    """A choice question put to a chat; `ask_id` ties answers back to it."""

    ask_id: int
    topic_title: str
    prompt: str
    options: tuple[str, ...]
    correct_index: int
    why: str
    header: str = ""  # e.g. "Daily question · 3-day streak"
    time_limit: int | None = None  # seconds to answer (a mock interview); the poll closes then


@dataclass(frozen=True)
class CardPrompt:
    ask_id: int
    topic_title: str
    prompt: str
    header: str = ""
    buttons: tuple[Button, ...] = ()
    time_limit: int | None = None  # seconds before the reveal (a mock interview)


@dataclass(frozen=True)
class Expired:
    """A timed question whose time is up (or whose round ended): shown in place of the
    question where the platform can edit it. `platform_ref`: what the adapter linked to the
    ask when it sent the question (`Core.link_ask`), if anything."""

    ask_id: int
    markdown: str
    platform_ref: str | None = None
    prompt: str = ""  # the question, for platforms that show the note in its place


@dataclass(frozen=True)
class Explanation:
    """A topic's explanation, references included; buttons to quiz on it and related topics."""

    topic_id: str
    title: str
    markdown: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class AnswerTally:
    """How many people have answered a group question so far (for platforms that show it)."""

    ask_id: int
    answers: int


@dataclass(frozen=True)
class Whisper:
    """Markdown for one member of a group chat only, named by their platform id (Slack: an
    ephemeral message); platforms that cannot show a message to one member drop it."""

    platform_id: str
    markdown: str


Reply = Message | ChoicePrompt | CardPrompt | Explanation | AnswerTally | Expired | Whisper


_STORABLE: dict[str, type[Any]] = {
    kind.__name__: kind for kind in (Message, ChoicePrompt, CardPrompt)
}


def encode_replies(replies: list[Reply]) -> str | None:
    """Replies as JSON, for the outbox; None when none of them is worth sending later (a poll's
    answer tally is stale by then). An explanation is kept as its topic: the bank has its text."""
    stored = [
        {"kind": "Explanation", "topic_id": reply.topic_id}
        if isinstance(reply, Explanation)
        else {"kind": type(reply).__name__, **vars(_without_picture(reply))}
        for reply in replies
        if isinstance(reply, Explanation) or type(reply).__name__ in _STORABLE
    ]
    # Shallow: a reply's fields are text, numbers, tuples and buttons (dataclasses.asdict's deep
    # copy of each was a tenth of the core's time per update).
    return json.dumps(stored, ensure_ascii=False, default=vars) if stored else None


def _without_picture(reply: Reply) -> Reply:
    """A progress picture is drawn for the moment: a reply sent late goes without it."""
    if isinstance(reply, Message) and reply.picture is not None:
        return dataclasses.replace(reply, picture=None)
    return reply


def decode_replies(text: str, explanation: Callable[[str], Explanation | None]) -> list[Reply]:
    """The replies `encode_replies` kept; `explanation` finds a topic's explanation."""
    replies: list[Reply] = []
    for stored in json.loads(text):
        kind = stored.pop("kind")
        if kind == "Explanation":
            found = explanation(stored["topic_id"])
            if found is not None:
                replies.append(found)
            continue
        fields = {
            name: (
                tuple(Button(**b) for b in value)
                if name == "buttons"
                else tuple(value)
                if isinstance(value, list)
                else value
            )
            for name, value in stored.items()
        }
        replies.append(_STORABLE[kind](**fields))
    return replies
