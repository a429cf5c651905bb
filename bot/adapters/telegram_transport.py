"""Telegram transport: the rate limiter, the update processor and the application builder."""

from __future__ import annotations

import asyncio
import logging
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ExtBot,
)

from bot.adapters.telegram_http import AiohttpRequest, KeptUpdatesRequest

__all__ = [
    "CONCURRENT_UPDATES",
    "PerChatUpdateProcessor",
    "RetryingRateLimiter",
    "TelegramApplication",
    "TelegramBot",
    "build_application",
]

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 16
CONNECTIONS = 64
PAID_MESSAGES_PER_SECOND = 950  # of Telegram's 1,000 for paid broadcasts
_PAID_BURST = 10


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter (Telegram's overall and group limits, RetryAfter waited out), plus:

    - the overall limit spaced evenly rather than in bursts;
    - network errors and 5xx retried with backoff (BadRequest is a NetworkError subclass, and a
      bad request stays bad: never retried);
    - private chats spaced to about one message a second, which AIORateLimiter does not do.
    """

    def __init__(
        self,
        *,
        network_retries: int = 3,
        backoff: float = 0.5,
        private_chat_burst: int = 3,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("max_retries", 5)
        # Telegram's 30 messages a second, spread evenly: AIORateLimiter's default bucket lets 30
        # go at once and 30 more within the same second, which a strict counter answers with 429.
        # Spaced at exactly 1/30 s, any message that reaches Telegram a little later than the one
        # 30 places behind it (a busy event loop, the network) makes 31 in one second: 29 a
        # second leaves that slack.
        kwargs.setdefault("overall_max_rate", 1)
        kwargs.setdefault("overall_time_period", 1 / 29)
        super().__init__(**kwargs)
        # Paid broadcasts (allow_paid_broadcast) may go at 1,000 a second; AIORateLimiter lets
        # the whole 1,000 go in a burst. Here at most 950 a second plus a burst of 10, which
        # no one-second window can see as more than 960. (One at a time would need a wake-up
        # every millisecond, finer than the event loop's timers: it made about 530 a second.)
        self._paid = AsyncLimiter(_PAID_BURST, _PAID_BURST / PAID_MESSAGES_PER_SECOND)
        self._network_retries = network_retries
        self._backoff = backoff
        self._burst = private_chat_burst
        self._private: OrderedDict[int, AsyncLimiter] = OrderedDict()
        self.on_rate_limited: Callable[[], None] | None = None

    def _private_limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._private.pop(chat_id, None) or AsyncLimiter(self._burst, self._burst)
        self._private[chat_id] = limiter
        if len(self._private) > 10_000:
            self._private.popitem(last=False)
        return limiter

    async def process_request(  # type: ignore[override]
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        async def counted(*call_args: Any, **call_kwargs: Any) -> Any:
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter:
                if self.on_rate_limited is not None:
                    self.on_rate_limited()
                raise  # AIORateLimiter waits it out and tries again

        chat_id = data.get("chat_id")
        for attempt in range(self._network_retries + 1):
            try:
                if isinstance(chat_id, int) and chat_id > 0:
                    await self._private_limiter(chat_id).acquire()
                if data.get("allow_paid_broadcast"):
                    await self._paid.acquire()
                return await super().process_request(
                    counted, args, kwargs, endpoint, data, rate_limit_args
                )
            except (BadRequest, Forbidden, RetryAfter):
                raise
            except NetworkError as error:
                if attempt == self._network_retries:
                    raise
                delay = self._backoff * 2**attempt
                log.warning("Telegram network error (%s); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates from different chats run at once; updates from one chat run in order.

    A poll answer carries no chat, only its user: it queues with that user's private chat, so
    an answer to a private quiz waits until the bot has finished sending (and linking) it.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._chats: dict[int, _ChatQueue] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _ordering_key(update)
        if key is None:
            await coroutine
            return
        queue = self._chats.setdefault(key, _ChatQueue())
        queue.pending += 1
        try:
            async with queue.lock:
                await coroutine
        finally:
            queue.pending -= 1
            if queue.pending == 0:
                del self._chats[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


@dataclass
class _ChatQueue:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: int = 0


def _ordering_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.poll_answer is not None and update.poll_answer.user is not None:
        return update.poll_answer.user.id
    return None


class TelegramBot(ExtBot[int]):
    """PTB's ExtBot, plus `post`: a Bot API call whose answer comes back as Telegram's JSON.

    Each `send_*` method reads Telegram's copy of the sent message back into a `telegram.Message`,
    about 160 attributes each set through a frozen-object check: 0.2-0.4 ms a message, a seventh
    of the bot's time per update in benchmarks/telegram_updates.py, for an answer of which the
    adapter reads at most two fields. `post` takes the same way as those methods (defaults, the
    rate limiter, errors raised as `TelegramError`) and stops before that step.
    """

    __slots__ = ()

    async def post(self, method: str, **params: Any) -> Any:
        """Call `method` (e.g. "sendMessage") with `params` (PTB objects allowed; None left
        out); Telegram's `result`, as JSON."""
        return await self._post(method, params)


class TelegramApplication(Application):  # type: ignore[type-arg]
    """PTB's Application, holding the request its getUpdates calls go through, which keeps
    the updates as Telegram sent them (for the inbox)."""

    __slots__ = ("updates_request",)

    def __init__(self, *, updates_request: KeptUpdatesRequest, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.updates_request = updates_request


def build_application(
    token: str,
    base_url: str,
    *,
    rate_limiter: AIORateLimiter | None = None,
    limited: bool = True,
    with_updater: bool = False,
) -> TelegramApplication:
    """The application as the bot runs it; `rate_limiter` replaces RetryingRateLimiter(), and
    `limited=False` leaves it out (the benchmarks' fan-out without Telegram's limits)."""
    updates_request = KeptUpdatesRequest()
    # Opt in to python-telegram-bot's timedelta durations (RetryAfter.retry_after): without it,
    # every 429 logs a deprecation warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    bot = TelegramBot(
        token,
        base_url=base_url,
        base_file_url=base_url.replace("/bot", "/file/bot"),
        # Enough connections for the updates and daily pushes in flight.
        request=AiohttpRequest(connections=CONNECTIONS),
        get_updates_request=updates_request,
        rate_limiter=(rate_limiter or RetryingRateLimiter()) if limited else None,
    )
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .bot(bot)
        # Handle several chats' updates at once, so one person's slow send does not hold up the
        # rest; one chat's updates stay in order.
        .concurrent_updates(PerChatUpdateProcessor(CONCURRENT_UPDATES))
        .application_class(TelegramApplication, {"updates_request": updates_request})
    )
    if not with_updater:
        # The adapter polls itself, storing each batch before it is confirmed;
        # `with_updater` is for a bare bot (the benchmarks' echo bot).
        builder = builder.updater(None)
    application = builder.build()
    assert isinstance(application, TelegramApplication)
    return application
