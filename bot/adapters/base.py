"""The seam between the core and a chat platform."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from aiohttp import web

from bot.core.replies import Reply

if TYPE_CHECKING:
    from bot.core.handler import Core

__all__ = [
    "Adapter",
    "DeliveryFailed",
    "message_ref",
    "parse_message_ref",
    "retry_until_reachable",
    "send_unsent",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_RETRY_SECONDS = 2.0
MAX_RETRY_SECONDS = 60.0


class DeliveryFailed(Exception):
    """A delivery that did not happen. `permanent`: retrying will not help (blocked, removed)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Adapter(Protocol):
    """What the server and the scheduler need from a platform adapter."""

    platform: str

    def routes(self) -> list[web.RouteDef]:
        """HTTP endpoints this adapter serves on the bot's one server (may be empty)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def deliver(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Send replies to a chat unprompted (the daily push, a broadcast).

        Raises DeliveryFailed when they could not be sent.
        """
        ...


async def retry_until_reachable(
    platform: str,
    address: str,
    attempt: Callable[[], Awaitable[T]],
    unreachable: tuple[type[BaseException], ...],
    first_delay: float = FIRST_RETRY_SECONDS,
) -> T:
    """Run `attempt` until the platform answers: while it cannot be reached (no network, DNS,
    a timeout), one warning line per attempt, waiting longer each time (up to a minute).
    Anything else (a refused token) goes to the caller at once."""
    delay = first_delay
    for number in range(1, 1_000_000):
        try:
            return await attempt()
        except unreachable as error:
            log.warning(
                "cannot reach %s at %s (%s); attempt %d failed, retrying in %.0f s",
                platform,
                address,
                type(error).__name__,
                number,
                delay,
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_RETRY_SECONDS)
    raise AssertionError("unreachable")


async def send_unsent(
    core: Core, platform: str, send: Callable[[str, Sequence[Reply]], Awaitable[None]]
) -> None:
    """At start: send the replies an earlier process kept in the outbox but died before
    sending, each once (a reply that fails now is logged and not tried again)."""
    for _key, chat_id, replies in await core.unsent(platform):
        try:
            await send(chat_id, replies)
        except Exception as error:
            log.warning(
                "%s: could not send a reply kept from before the restart (%s)",
                platform,
                type(error).__name__,
            )


def message_ref(platform: str, chat_id: str, message_id: str) -> str:
    """What an adapter links to an ask (`Core.link_ask`) for a message it may edit later,
    such as a timed question: 'slack:C123:1700000000.000100'."""
    return f"{platform}:{chat_id}:{message_id}"


def parse_message_ref(platform: str, ref: str | None) -> tuple[str, str] | None:
    """(chat, message) from a reference `message_ref` made for this platform; None for
    anything else (a Telegram poll's id, another platform's message)."""
    prefix = f"{platform}:"
    if not ref or not ref.startswith(prefix):
        return None
    chat_id, _, message_id = ref.removeprefix(prefix).partition(":")
    return (chat_id, message_id) if chat_id and message_id else None
