"""Small writes that need no transaction of their own: they ride along with the next one.

A Telegram poll's id is known only after the poll is sent, after its question's transaction;
an update the bot had nothing to do with still has to be marked handled in the inbox, and one
whose replies went out has to have them cleared from the outbox. All wait here until the next
transaction of this process takes them, or are written on their own after a short pause when
nothing else comes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.store import event_queries
from bot.store.tx import Tx

__all__ = ["PendingWrites", "Writes"]

log = logging.getLogger(__name__)

_FLUSH_SECONDS = 0.2  # a person cannot answer a poll faster
_RECENT = 10_000


@dataclass
class Writes:
    links: dict[str, int] = field(default_factory=dict)  # poll id -> ask id
    handled: set[str] = field(default_factory=set)  # inbox keys
    sent: set[str] = field(default_factory=set)  # inbox keys whose replies went out

    def __bool__(self) -> bool:
        return bool(self.links or self.handled or self.sent)

    def apply(self, tx: Tx, now: datetime) -> None:
        """Write them in the caller's transaction."""
        if self.links:
            event_queries.set_ask_refs(tx, self.links)
        if self.handled:
            event_queries.mark_handled(tx, sorted(self.handled), now)
        if self.sent:
            event_queries.mark_sent(tx, sorted(self.sent))


class PendingWrites:
    def __init__(self, write_alone: Callable[[Writes], Awaitable[None]]) -> None:
        self._writes = Writes()
        self._write_alone = write_alone
        self._timer: asyncio.TimerHandle | None = None
        self._background: set[asyncio.Task[None]] = set()
        # The links this process made lately, so a poll answer that overtakes the commit of
        # its own link (another update's transaction carries it) still finds its question.
        self.recent_links: OrderedDict[str, int] = OrderedDict()

    def link(self, platform_ref: str, ask_id: int) -> None:
        self._writes.links[platform_ref] = ask_id
        self.recent_links[platform_ref] = ask_id
        if len(self.recent_links) > _RECENT:
            self.recent_links.popitem(last=False)
        self._schedule()

    def handled(self, key: str) -> None:
        self._writes.handled.add(key)
        self._schedule()

    def sent(self, key: str) -> None:
        self._writes.sent.add(key)
        self._schedule()

    def __bool__(self) -> bool:
        return bool(self._writes)

    def take(self) -> Writes:
        """Everything pending, for the caller's transaction; `give_back` if it fails."""
        taken, self._writes = self._writes, Writes()
        return taken

    def give_back(self, writes: Writes) -> None:
        self._writes.links = writes.links | self._writes.links
        self._writes.handled |= writes.handled
        self._writes.sent |= writes.sent

    async def flush(self) -> None:
        """Write what no transaction has taken (at a pause, and at shutdown)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        writes = self.take()
        if not writes:
            return
        try:
            await self._write_alone(writes)
        except Exception:
            self.give_back(writes)
            raise

    async def close(self) -> None:
        await self.flush()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def _schedule(self) -> None:
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(_FLUSH_SECONDS, self._flush_later)

    def _flush_later(self) -> None:
        self._timer = None
        if not self._writes:
            return

        async def flush() -> None:
            try:
                await self.flush()
            except Exception:
                log.exception("could not write pending links; retrying with the next event")

        task = asyncio.get_running_loop().create_task(flush())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
