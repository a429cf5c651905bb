"""The core's Markdown, parsed once with markdown-it-py, rendered for each platform.

Renders to Telegram HTML (`<b>`, `<code>`, `<pre>`, `<a>`) or Slack mrkdwn (`*bold*`, `<url|text>`),
one string per top-level block, so that adapters can split long texts on block boundaries.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from typing import Protocol

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["PLAIN", "SLACK", "TELEGRAM", "pack", "render_blocks"]

_parser = MarkdownIt("commonmark")


class Dialect(Protocol):
    def __hash__(self) -> int: ...  # each is a plain object: a key of the render cache
    def escape(self, text: str) -> str: ...
    def bold(self, inner: str) -> str: ...
    def italic(self, inner: str) -> str: ...
    def code(self, text: str) -> str: ...
    def pre(self, text: str, language: str) -> str: ...
    def link(self, href: str, inner: str) -> str: ...
    def quote(self, inner: str) -> str: ...


@dataclass(frozen=True)
class TelegramHtml:
    def escape(self, text: str) -> str:
        return html.escape(text, quote=False)

    def bold(self, inner: str) -> str:
        return f"<b>{inner}</b>"

    def italic(self, inner: str) -> str:
        return f"<i>{inner}</i>"

    def code(self, text: str) -> str:
        return f"<code>{self.escape(text)}</code>"

    def pre(self, text: str, language: str) -> str:
        if language:
            lang = html.escape(language.split()[0], quote=True)
            return f'<pre><code class="language-{lang}">{self.escape(text)}</code></pre>'
        return f"<pre>{self.escape(text)}</pre>"

    def link(self, href: str, inner: str) -> str:
        return f'<a href="{html.escape(href, quote=True)}">{inner}</a>'

    def quote(self, inner: str) -> str:
        return f"<blockquote>{inner}</blockquote>"


@dataclass(frozen=True)
class SlackMrkdwn:
    def escape(self, text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def bold(self, inner: str) -> str:
        return f"*{inner}*"

    def italic(self, inner: str) -> str:
        return f"_{inner}_"

    def code(self, text: str) -> str:
        return f"`{self.escape(text)}`"

    def pre(self, text: str, language: str) -> str:
        return f"```\n{self.escape(text)}\n```"

    def link(self, href: str, inner: str) -> str:
        return f"<{href.replace('|', '%7C').replace('>', '%3E')}|{inner}>"

    def quote(self, inner: str) -> str:
        return "\n".join(f"> {line}" for line in inner.split("\n"))


@dataclass(frozen=True)
class PlainText:
    """No markup at all: alerts, notification fallbacks, the plain terminal."""

    def escape(self, text: str) -> str:
        return text

    def bold(self, inner: str) -> str:
        return inner

    def italic(self, inner: str) -> str:
        return inner

    def code(self, text: str) -> str:
        return text

    def pre(self, text: str, language: str) -> str:
        return text

    def link(self, href: str, inner: str) -> str:
        return inner if inner == href else f"{inner} ({href})"

    def quote(self, inner: str) -> str:
        return "\n".join(f"> {line}" for line in inner.split("\n"))


TELEGRAM = TelegramHtml()
SLACK = SlackMrkdwn()
PLAIN = PlainText()


def render_blocks(markdown: str, dialect: Dialect) -> list[str]:
    """One rendered string per top-level block (paragraph, list, code block, heading...).

    Cached: the same text (a topic's explanation, a question) is parsed once per dialect."""
    return list(_render_blocks(markdown, dialect))


@functools.lru_cache(maxsize=4096)
def _render_blocks(markdown: str, dialect: Dialect) -> tuple[str, ...]:
    blocks: list[str] = []
    buffer: list[str] = []
    lists: list[list[int]] = []  # [ordered (0/1), next number] per open list
    quote_start: list[int] = []
    for token in _parser.parse(markdown):
        kind = token.type
        if kind == "heading_open":
            buffer.append("\x00")
        elif kind == "heading_close":
            start = len(buffer) - 1 - buffer[::-1].index("\x00")
            inner = "".join(buffer[start + 1 :])
            del buffer[start:]
            buffer.append(dialect.bold(inner))
        elif kind == "inline":
            buffer.append(_inline(token.children or [], dialect))
        elif kind == "paragraph_open" and lists and buffer and not buffer[-1].endswith(" "):
            buffer.append("\n" + "   " * len(lists))
        elif kind in {"bullet_list_open", "ordered_list_open"}:
            start = int(token.attrGet("start") or 1)
            lists.append([1 if kind == "ordered_list_open" else 0, start])
        elif kind in {"bullet_list_close", "ordered_list_close"}:
            lists.pop()
        elif kind == "list_item_open":
            ordered, number = lists[-1]
            if buffer and buffer[-1] != "":
                buffer.append("\n")
            marker = f"{number}. " if ordered else "• "
            buffer.append("   " * (len(lists) - 1) + marker)
            lists[-1][1] += 1
        elif kind in {"fence", "code_block"}:
            if buffer:
                buffer.append("\n")
            buffer.append(dialect.pre(token.content.rstrip("\n"), token.info.strip()))
        elif kind == "blockquote_open":
            quote_start.append(len(buffer))
        elif kind == "blockquote_close":
            start = quote_start.pop()
            inner = "".join(buffer[start:])
            del buffer[start:]
            buffer.append(dialect.quote(inner))
        elif kind == "hr":
            buffer.append("———")
        elif kind == "html_block":
            buffer.append(dialect.escape(token.content.strip()))
        if token.level == 0 and token.nesting <= 0 and buffer:
            blocks.append("".join(buffer).strip("\n"))
            buffer = []
    return tuple(block for block in blocks if block.strip())


def _inline(children: list[Token], dialect: Dialect) -> str:
    stack: list[tuple[str, str, list[str]]] = []  # (kind, href, parts)
    parts: list[str] = []
    for child in children:
        kind = child.type
        if kind == "text":
            parts.append(dialect.escape(child.content))
        elif kind == "code_inline":
            parts.append(dialect.code(child.content))
        elif kind in {"softbreak"}:
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
        elif kind in {"strong_open", "em_open", "link_open"}:
            href = str(child.attrGet("href") or "")
            stack.append((kind, href, parts))
            parts = []
        elif kind in {"strong_close", "em_close", "link_close"} and stack:
            opened, href, outer = stack.pop()
            inner = "".join(parts)
            if opened == "strong_open":
                rendered = dialect.bold(inner)
            elif opened == "em_open":
                rendered = dialect.italic(inner)
            else:
                rendered = dialect.link(href, inner)
            parts = [*outer, rendered]
        elif kind == "image":
            parts.append(dialect.escape(child.content or str(child.attrGet("src") or "")))
        elif kind == "html_inline":
            parts.append(dialect.escape(child.content))
    while stack:  # unbalanced input: keep the text
        _opened, _href, outer = stack.pop()
        parts = [*outer, *parts]
    return "".join(parts)


def pack(blocks: list[str], limit: int, separator: str = "\n\n") -> list[str]:
    """Join blocks into chunks of at most `limit` characters, splitting only between blocks
    (a single block longer than the limit is cut between lines, or hard as a last resort)."""
    chunks: list[str] = []
    current = ""
    for block in blocks:
        for piece in _fit(block, limit):
            candidate = f"{current}{separator}{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def _fit(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    pieces: list[str] = []
    current = ""
    for line in block.split("\n"):
        while len(line) > limit:
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = line
    if current:
        pieces.append(current)
    return pieces
