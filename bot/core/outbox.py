"""Replies the core sends to chats other than the one that spoke (an admin's /broadcast).

The core posts (platform, chat, replies) deliveries; the server drains them through each
platform adapter's `deliver`, rate limits included. Held in memory: a delivery posted just before
the process dies is lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.replies import Reply

__all__ = ["Outbox", "Outgoing"]


@dataclass(frozen=True)
class Outgoing:
    platform: str
    chat_id: str
    replies: tuple[Reply, ...]


class Outbox:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[Outgoing] = asyncio.Queue()

    def post(self, deliveries: Sequence[Outgoing]) -> None:
        for delivery in deliveries:
            self._queue.put_nowait(delivery)

    async def next(self) -> Outgoing:
        return await self._queue.get()

    def done(self) -> None:
        self._queue.task_done()

    async def join(self) -> None:
        """Wait until every posted delivery was taken and finished."""
        await self._queue.join()
