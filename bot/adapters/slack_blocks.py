"""The core's replies as Block Kit, within Slack's limits.

Limits that matter here: 50 blocks a message, 3000 characters of section text, 150 of header
text, 75 of button text, 2000 of button value, 25 elements in an actions block.
"""

from __future__ import annotations

from typing import Any

from bot.adapters.markdown import PLAIN, SLACK, pack, render_blocks
from bot.core import actions
from bot.core.replies import (
    Button,
    CardPrompt,
    ChoicePrompt,
    Expired,
    Explanation,
    Message,
    Reply,
)
from bot.core.stats import Progress, describe

__all__ = ["expired_message", "home_view", "render", "tally_blocks"]

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_ACTIONS = 25
MAX_FALLBACK = 300
TALLY_BLOCK_ID = "rb-tally"
_LETTERS = "ABCDEFGHIJ"


def render(reply: Reply) -> list[tuple[str, list[Block]]]:
    """One (fallback text, blocks) pair per Slack message the reply needs."""
    if isinstance(reply, ChoicePrompt):
        return [_choice(reply)]
    if isinstance(reply, CardPrompt):
        card = _context(reply.header, reply.topic_title) + sections(reply.prompt)
        return _messages(reply.prompt, card, reply.buttons)
    if isinstance(reply, Explanation):
        explained: list[Block] = [header(reply.title), *sections(reply.markdown)]
        return _messages(reply.title, explained, reply.buttons)
    if isinstance(reply, Message):
        return _messages(reply.markdown, sections(reply.markdown), reply.buttons)
    return []


def expired_message(reply: Expired) -> tuple[str, list[Block]]:
    """A timed question once its time is up: the question, the note, and no buttons."""
    blocks: list[Block] = []
    if reply.prompt:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _cut(reply.prompt, 3000)}}
        )
    blocks.append(_context_block(SLACK.escape(_plain(reply.markdown))))
    return _cut(_plain(reply.markdown), MAX_FALLBACK), blocks


def sections(markdown: str) -> list[Block]:
    """Markdown as mrkdwn sections of at most 3000 characters, split between paragraphs."""
    chunks = pack(render_blocks(markdown, SLACK), MAX_SECTION) or ["…"]
    return [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in chunks]


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": _cut(text, MAX_HEADER)}}


def action_blocks(buttons: tuple[Button, ...]) -> list[Block]:
    """Buttons in actions blocks of at most 25; each button's action_id is unique in a message."""
    blocks: list[Block] = []
    for start in range(0, len(buttons), MAX_ACTIONS):
        elements = [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": _cut(b.label, MAX_BUTTON_TEXT)},
                "action_id": f"rb:{start + offset}",
                "value": b.action,
            }
            for offset, b in enumerate(buttons[start : start + MAX_ACTIONS])
        ]
        blocks.append({"type": "actions", "elements": elements})
    return blocks


def tally_blocks(blocks: list[Block], answers: int) -> list[Block]:
    """The question's blocks with its answer count (re)placed at the bottom."""
    kept = [b for b in blocks if b.get("block_id") != TALLY_BLOCK_ID]
    noun = "answer" if answers == 1 else "answers"
    tally = _context_block(f"{answers} {noun} so far")
    tally["block_id"] = TALLY_BLOCK_ID
    return [*kept, tally]


def home_view(progress: Progress) -> dict[str, Any]:
    blocks: list[Block] = [header("Your revision"), *sections(describe(progress))]
    blocks += action_blocks(
        (Button("Start a quiz", actions.quiz()), Button("Browse topics", actions.topics()))
    )
    blocks.append(
        _context_block("Type `/quiz`, `/explain <topic>` or `/daily 08:00` in any conversation.")
    )
    return {"type": "home", "blocks": blocks}


def _choice(reply: ChoicePrompt) -> tuple[str, list[Block]]:
    lines = [SLACK.bold(SLACK.escape(reply.prompt)), ""]
    lines += [f"*{_LETTERS[i]}.* {SLACK.escape(o)}" for i, o in enumerate(reply.options)]
    blocks = _context(reply.header, reply.topic_title)
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    buttons = tuple(
        Button(f"{_LETTERS[i]}. {option}", actions.answer(reply.ask_id, i))
        for i, option in enumerate(reply.options)
    )
    blocks += action_blocks(buttons)
    return _cut(reply.prompt, MAX_FALLBACK), blocks


def _messages(
    fallback_markdown: str, blocks: list[Block], buttons: tuple[Button, ...]
) -> list[tuple[str, list[Block]]]:
    """Blocks split over as many messages as the 50-block limit needs, buttons on the last."""
    buttons_blocks = action_blocks(buttons)
    room = MAX_BLOCKS - len(buttons_blocks)
    pages = [blocks[i : i + room] for i in range(0, len(blocks), room)] or [[]]
    pages[-1] = pages[-1] + buttons_blocks
    fallback = _cut(_plain(fallback_markdown), MAX_FALLBACK)
    return [(fallback, page) for page in pages]


def _context(header_text: str, topic_title: str) -> list[Block]:
    label = " · ".join(SLACK.escape(part) for part in (header_text, topic_title) if part)
    return [_context_block(label)] if label else []


def _context_block(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(mrkdwn, 3000)}]}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(markdown: str) -> str:
    return " ".join(" ".join(render_blocks(markdown, PLAIN)).split())
