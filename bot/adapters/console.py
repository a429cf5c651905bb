"""The terminal: one local person chatting with the bot; piped input works for scripts."""

from __future__ import annotations

import asyncio
import getpass
import string
import sys
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.markdown import Markdown

from bot.charts import progress_png
from bot.core import actions
from bot.core.commands import parse_command
from bot.core.events import ButtonPress, ChatRef, Command, Event, PersonRef, Text
from bot.core.handler import Core
from bot.core.progress_data import HISTORY_WEEKS, ProgressData, counted
from bot.core.replies import (
    AnswerTally,
    Button,
    CardPrompt,
    ChoicePrompt,
    Expired,
    Explanation,
    Message,
    Reply,
    Whisper,
)

__all__ = ["ConsoleAdapter", "render_plain", "sparkline"]

_QUIT = {"quit", "exit", "/quit", "/exit"}
_LETTERS = string.ascii_lowercase
_BARS = "▁▂▃▄▅▆▇█"


class ConsoleAdapter:
    def __init__(
        self,
        core: Core,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        interactive: bool | None = None,
        picture_path: Path | None = None,
    ) -> None:
        self.core = core
        self.picture_path = picture_path  # where /stats writes its picture, if anywhere
        self.stdin = stdin or sys.stdin
        out = stdout or sys.stdout
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self.console = Console(file=out, highlight=False, soft_wrap=not self.interactive)
        self.person = PersonRef("console", "local", display_name=_user_name())
        self.chat = ChatRef("console", "local", can_push=False)
        self._options_for: int | None = None  # ask id of the choice question on screen
        self._buttons: list[Button] = []

    async def run(self) -> None:
        if self.interactive:
            self.console.print(
                "[bold]revision-bot[/bold] in your terminal. "
                "Type /quiz to start, /help for commands, quit to leave."
            )
        while True:
            line = await asyncio.to_thread(self._read_line)
            if line is None:
                return
            line = line.strip()
            if not line:
                continue
            if line.lower() in _QUIT:
                return
            await self.handle_line(line)

    def _read_line(self) -> str | None:
        if self.interactive:
            try:
                return input("> ")
            except EOFError:
                return None
        line = self.stdin.readline()
        return line if line else None

    async def handle_line(self, line: str) -> None:
        replies = await self.core.handle(self.to_event(line))
        pictures = [picture for picture in map(_picture_of, replies) if picture is not None]
        notes = [await self._save_picture(picture) for picture in pictures]
        self.show(replies)
        for note in notes:
            self.console.print(note, markup=False)
            self.console.print()

    async def _save_picture(self, data: ProgressData) -> str:
        """Writes the picture where --picture asked; says where it went, or how to get it."""
        if self.picture_path is None:
            return "For the picture, run: revision-bot chat --picture progress.png"
        png = await progress_png(data)
        if png is None:
            return "Sorry, the picture could not be drawn this time."
        try:
            await asyncio.to_thread(self.picture_path.write_bytes, png)
        except OSError as error:
            return f"Could not write the picture to {self.picture_path}: {error.strerror}"
        return f"Picture saved to {self.picture_path}"

    def to_event(self, line: str) -> Event:
        parsed = parse_command(line)
        if parsed is not None:
            return Command(self.person, self.chat, parsed[0], parsed[1])
        if line.isdigit() and self._options_for is not None:
            return ButtonPress(
                self.person, self.chat, actions.answer(self._options_for, int(line) - 1)
            )
        keys = [_key(i) for i in range(len(self._buttons))]
        if line.lower() in keys:
            button = self._buttons[keys.index(line.lower())]
            return ButtonPress(self.person, self.chat, button.action)
        return Text(self.person, self.chat, line)

    def show(self, replies: list[Reply]) -> None:
        for reply in replies:
            if isinstance(reply, AnswerTally | Whisper):
                continue
            if isinstance(reply, Expired) and reply.ask_id == self._options_for:
                self._options_for = None
            if isinstance(reply, ChoicePrompt):
                self._options_for = reply.ask_id
                self._buttons = []
            elif isinstance(reply, Message) and reply.replace:
                self._options_for = None
            buttons = _buttons_of(reply)
            if buttons or not isinstance(reply, ChoicePrompt):
                self._buttons = list(buttons)
            text = render_plain(reply, lettered=self._buttons)
            if self.interactive:
                self.console.print(Markdown(text))
                self.console.print()
            else:
                self.console.print(text, markup=False)
                self.console.print()


def _picture_of(reply: Reply) -> ProgressData | None:
    return reply.picture if isinstance(reply, Message) else None


def sparkline(values: list[int]) -> str:
    """▁ for nothing, then ▂ to █ by size: one character a value."""
    highest = max(values, default=0)
    if highest == 0:
        return _BARS[0] * len(values)
    steps = len(_BARS) - 2
    return "".join(
        _BARS[0] if value == 0 else _BARS[1 + round(value / highest * steps)] for value in values
    )


def _progress_line(data: ProgressData) -> str:
    weeks = data.weekly_totals()
    return (
        f"Last {HISTORY_WEEKS} weeks: {sparkline(weeks)}  "
        f"({counted(sum(weeks), 'answer')}, {weeks[-1]} in the last 7 days)"
    )


def _buttons_of(reply: Reply) -> tuple[Button, ...]:
    if isinstance(reply, Message | CardPrompt | Explanation):
        return reply.buttons
    return ()


def render_plain(reply: Reply, lettered: list[Button] | None = None) -> str:
    """A reply as Markdown text, buttons as lettered choices."""
    parts: list[str] = []
    if isinstance(reply, ChoicePrompt):
        if reply.header:
            parts.append(f"**{reply.header}**")
        parts.append(f"*{reply.topic_title}*")
        parts.append(reply.prompt)
        parts.append("\n".join(f"{n}. {option}" for n, option in enumerate(reply.options, 1)))
        parts.append("Type the number of your answer.")
    elif isinstance(reply, CardPrompt):
        if reply.header:
            parts.append(f"**{reply.header}**")
        parts.append(f"*{reply.topic_title}*")
        parts.append(reply.prompt)
    elif isinstance(reply, Explanation):
        parts.append(f"# {reply.title}")
        parts.append(reply.markdown)
    elif isinstance(reply, Expired):
        parts.append(reply.markdown)
    elif isinstance(reply, Message):
        parts.append(reply.markdown)
        if reply.picture is not None and not reply.picture.is_empty:
            parts.append(_progress_line(reply.picture))
    if lettered:
        parts.append("  ".join(f"[{_key(i)}] {b.label}" for i, b in enumerate(lettered)))
    return "\n\n".join(parts)


def _key(position: int) -> str:
    """a, b, ... z, then aa, ab, ...: enough letters for any number of buttons."""
    if position < len(_LETTERS):
        return _LETTERS[position]
    first, second = divmod(position, len(_LETTERS))
    return _LETTERS[first - 1] + _LETTERS[second]


def _user_name() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "you"
