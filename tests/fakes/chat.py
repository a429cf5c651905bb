"""An in-memory adapter: a person typing into a chat, for core tests."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.commands import parse_command
from bot.core.events import ButtonPress, ChatRef, Command, PersonRef, Text
from bot.core.handler import Core
from bot.core.replies import Button, CardPrompt, ChoicePrompt, Explanation, Message, Reply


@dataclass
class FakeChat:
    core: Core
    person: PersonRef
    chat: ChatRef

    @classmethod
    def private(cls, core: Core, person_id: str = "1", name: str = "Ada") -> FakeChat:
        return cls(core, PersonRef("test", person_id, name), ChatRef("test", f"dm-{person_id}"))

    def in_group(self, person_id: str, name: str, group: str = "group-1") -> FakeChat:
        return FakeChat(
            self.core, PersonRef("test", person_id, name), ChatRef("test", group, is_group=True)
        )

    async def say(self, text: str) -> list[Reply]:
        parsed = parse_command(text)
        if parsed is None:
            return await self.core.handle(Text(self.person, self.chat, text))
        return await self.core.handle(Command(self.person, self.chat, parsed[0], parsed[1]))

    async def press(self, action: str) -> list[Reply]:
        return await self.core.handle(ButtonPress(self.person, self.chat, action))


def only(replies: list[Reply]) -> Reply:
    assert len(replies) == 1, replies
    return replies[0]


def text_of(reply: Reply) -> str:
    if isinstance(reply, Message):
        return reply.markdown
    if isinstance(reply, Explanation):
        return reply.markdown
    if isinstance(reply, ChoicePrompt | CardPrompt):
        return reply.prompt
    return ""


def labels(reply: Reply) -> list[str]:
    buttons: tuple[Button, ...] = getattr(reply, "buttons", ())
    return [button.label for button in buttons]
