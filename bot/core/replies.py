"""What the core hands back: Markdown text, questions, explanations, buttons."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "APOLOGY",
    "AnswerTally",
    "Button",
    "CardPrompt",
    "ChoicePrompt",
    "Expired",
    "Explanation",
    "Message",
    "Reply",
    "Whisper",
]


# What every platform says when handling failed on our side.
APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."


@dataclass(frozen=True)
class Button:
    label: str
    action: str  # see bot.core.actions; at most 64 bytes so every platform can carry it


@dataclass(frozen=True)
class Message:
    """Markdown text with optional buttons.

    `replace`: show it in place of the message whose button was pressed, where the platform can.
    `private`: in a group, only the person who acted should see it (Slack: ephemeral).
    """

    markdown: str
    buttons: tuple[Button, ...] = ()
    replace: bool = False
    private: bool = False


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
