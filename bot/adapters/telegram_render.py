"""The core's replies as Telegram HTML messages and inline keyboards."""

from __future__ import annotations

import functools

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit

from bot.adapters.markdown import PLAIN, TELEGRAM, pack, render_blocks
from bot.core.replies import Button, CardPrompt, Explanation, Message, Reply

__all__ = ["TEXT_LIMIT", "bold", "keyboard", "plain", "render"]

TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096
_CALLBACK_ANSWER_LIMIT = 200


def render(reply: Reply) -> tuple[list[str], tuple[Button, ...]]:
    """A reply as Telegram HTML chunks under 4096 characters, split between blocks, and the
    buttons for the last chunk."""
    if isinstance(reply, Explanation):
        blocks = [bold(reply.title), *render_blocks(reply.markdown, TELEGRAM)]
        return pack(blocks, TEXT_LIMIT), reply.buttons
    if isinstance(reply, CardPrompt):
        blocks = [
            f"<i>{TELEGRAM.escape(reply.topic_title)}</i>",
            *render_blocks(reply.prompt, TELEGRAM),
        ]
        if reply.header:
            blocks.insert(0, bold(reply.header))
        return pack(blocks, TEXT_LIMIT), reply.buttons
    if isinstance(reply, Message):
        return pack(render_blocks(reply.markdown, TELEGRAM) or ["…"], TEXT_LIMIT), reply.buttons
    return [], ()


@functools.lru_cache(maxsize=1024)
def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup:
    """Short labels share a row (Again/Hard/Good/Easy); longer ones get two or one a row.

    Kept for the next reply with the same buttons (after an answer: "Next question" and the
    topic's explanation): PTB's keyboards are immutable, and building one is dozens of
    attribute writes per button."""
    longest = max(len(b.label) for b in buttons)
    per_row = 4 if longest <= 8 else 2 if longest <= 24 else 1
    rows = [
        [InlineKeyboardButton(b.label, callback_data=b.action) for b in buttons[i : i + per_row]]
        for i in range(0, len(buttons), per_row)
    ]
    return InlineKeyboardMarkup(rows)


def bold(text: str) -> str:
    return f"<b>{TELEGRAM.escape(text)}</b>"


def plain(markdown: str) -> str:
    """Markdown as plain text for an alert (no formatting there), cut to Telegram's 200."""
    text = " ".join(render_blocks(markdown, PLAIN))
    return text if len(text) <= _CALLBACK_ANSWER_LIMIT else text[: _CALLBACK_ANSWER_LIMIT - 1] + "…"
