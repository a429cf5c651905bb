"""An in-memory adapter for the daily ticker: records what it was asked to deliver."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aiohttp import web

from bot.adapters.base import DeliveryFailed
from bot.core.replies import Reply


@dataclass
class RecordingAdapter:
    platform: str = "test"
    delivered: list[tuple[str, tuple[Reply, ...]]] = field(default_factory=list)
    failures: list[DeliveryFailed] = field(default_factory=list)  # raised by the next deliveries

    def routes(self) -> list[web.RouteDef]:
        return []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver(self, chat_id: str, replies: Sequence[Reply]) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append((chat_id, tuple(replies)))

    def chats(self) -> list[str]:
        return [chat for chat, _ in self.delivered]
