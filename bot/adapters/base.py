"""The seam between the core and a chat platform."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from aiohttp import web

from bot.core.replies import Reply

__all__ = ["Adapter", "DeliveryFailed"]


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
