"""What adapters hand the core: who, where, and what they did."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ButtonPress", "ChatRef", "Command", "Event", "PersonRef", "PollAnswer", "Text"]


@dataclass(frozen=True)
class PersonRef:
    platform: str
    platform_id: str
    display_name: str = ""
    timezone: str | None = None  # when the platform knows it (Slack's users.info)


@dataclass(frozen=True)
class ChatRef:
    platform: str
    chat_id: str
    is_group: bool = False
    title: str = ""
    can_push: bool = True  # the adapter can send to this chat unprompted (daily, broadcast)


@dataclass(frozen=True)
class Command:
    """`/name args`; name is lowercase, without the slash or any @botname."""

    person: PersonRef
    chat: ChatRef
    name: str
    args: str = ""


@dataclass(frozen=True)
class Text:
    """Plain text that is not a command (the terminal uses it to answer a question by number)."""

    person: PersonRef
    chat: ChatRef
    text: str


@dataclass(frozen=True)
class ButtonPress:
    """A press on a button the core made; `action` is untrusted (it came back from a client)."""

    person: PersonRef
    chat: ChatRef
    action: str


@dataclass(frozen=True)
class PollAnswer:
    """An answer to a native poll, known only by the platform's poll reference."""

    person: PersonRef
    platform_ref: str
    option: int


Event = Command | Text | ButtonPress | PollAnswer
