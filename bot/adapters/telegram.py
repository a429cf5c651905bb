"""Telegram, on python-telegram-bot: commands, native quiz polls, buttons, webhook or polling."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiolimiter import AsyncLimiter
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Poll,
    Update,
)
from telegram import (
    Message as TelegramMessage,
)
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    filters,
)

from bot.adapters.base import DeliveryFailed
from bot.adapters.markdown import TELEGRAM, pack, render_blocks
from bot.config import Settings
from bot.core.commands import COMMANDS, parse_command
from bot.core.events import ButtonPress, ChatRef, Command, Event, PersonRef, PollAnswer, Text
from bot.core.handler import Core
from bot.core.replies import (
    AnswerTally,
    Button,
    CardPrompt,
    ChoicePrompt,
    Explanation,
    Message,
    Reply,
)

__all__ = ["ALLOWED_UPDATES", "PerChatUpdateProcessor", "RetryingRateLimiter", "TelegramAdapter"]

log = logging.getLogger(__name__)

PLATFORM = "telegram"
# Named explicitly: Telegram remembers the last allowed_updates, and a value left over from an
# earlier run would silently drop poll answers or button presses.
ALLOWED_UPDATES = ["message", "callback_query", "poll_answer"]
APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."
_TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096
_CALLBACK_ANSWER_LIMIT = 200
CONCURRENT_UPDATES = 16


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
        kwargs.setdefault("overall_max_rate", 1)
        kwargs.setdefault("overall_time_period", 1 / 30)
        super().__init__(**kwargs)
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


class TelegramAdapter:
    platform = PLATFORM

    def __init__(
        self,
        core: Core,
        application: Application,  # type: ignore[type-arg]
        *,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        poll_timeout: float = 5,
    ) -> None:
        self.core = core
        self.application = application
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.poll_timeout = poll_timeout
        application.add_handler(MessageHandler(filters.COMMAND, self._on_command))
        application.add_handler(
            MessageHandler(
                filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, self._on_text
            )
        )
        application.add_handler(CallbackQueryHandler(self._on_button))
        application.add_handler(PollAnswerHandler(self._on_poll_answer))
        application.add_error_handler(self._on_error)

    @classmethod
    def from_settings(cls, settings: Settings, core: Core) -> TelegramAdapter:
        assert settings.telegram_bot_token is not None
        token = settings.telegram_bot_token.get_secret_value()
        webhook = settings.telegram_webhook_url
        application = build_application(token, settings.telegram_api_url, polling=not webhook)
        limiter = application.bot.rate_limiter
        if core.metrics is not None and isinstance(limiter, RetryingRateLimiter):
            waits = core.metrics.rate_limit_waits.labels(PLATFORM)
            limiter.on_rate_limited = waits.inc
        return cls(
            core,
            application,
            webhook_url=webhook,
            webhook_secret=(
                settings.telegram_webhook_secret.get_secret_value()
                if settings.telegram_webhook_secret
                else None
            ),
        )

    # --- lifecycle -------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        if not self.webhook_url:
            return []
        return [web.post(webhook_path(self.webhook_url), self._on_webhook)]

    async def start(self) -> None:
        app = self.application
        await app.initialize()
        await app.bot.set_my_commands(
            [BotCommand(c.name, c.summary) for c in COMMANDS if not c.admin_only]
        )
        await app.start()
        if self.webhook_url:
            await app.bot.set_webhook(
                self.webhook_url,
                secret_token=self.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            assert app.updater is not None
            await app.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, timeout=int(self.poll_timeout), poll_interval=0
            )
        log.info(
            "Telegram bot @%s started (%s)",
            app.bot.username,
            "webhook" if self.webhook_url else "polling",
        )

    async def stop(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if self.webhook_secret and not hmac.compare_digest(given, self.webhook_secret):
            return web.Response(status=403, text="wrong secret token")
        try:
            data = await request.json()
            update = Update.de_json(data, self.application.bot)
        except Exception:
            return web.Response(status=400, text="not a Telegram update")
        # Telegram redelivers an update it thinks failed, possibly to another of our processes.
        if await self.core.first_time(f"telegram:update:{update.update_id}"):
            await self.application.update_queue.put(update)
        return web.Response(text="ok")

    # --- platform -> core ---------------------------------------------------------------------

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.text is None or update.effective_user is None:
            return
        parsed = parse_command(message.text, context.bot.username)
        if parsed is None:
            return  # addressed to another bot
        name, args = parsed
        event = Command(_person(update), _chat(update), name, args)
        await self._handle(event, message.chat_id)

    async def _on_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.text is None or update.effective_user is None:
            return
        await self._handle(Text(_person(update), _chat(update), message.text), message.chat_id)

    async def _on_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        if update.effective_chat is None or not query.data:
            await query.answer("That button no longer works.")
            return
        event = ButtonPress(_person(update), _chat(update), query.data)
        replies = await self.core.handle(event)
        in_group = update.effective_chat.type != "private"
        answered = False
        source = query.message if isinstance(query.message, TelegramMessage) else None
        chat_id = update.effective_chat.id
        for reply in replies:
            if isinstance(reply, Message) and reply.private and in_group:
                await query.answer(_plain(reply.markdown), show_alert=True)
                answered = True
            elif isinstance(reply, Message) and reply.replace and source is not None:
                await self._edit(source, reply)
            else:
                await self._send(chat_id, [reply])
        if not answered:
            await query.answer()

    async def _on_poll_answer(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        answer = update.poll_answer
        if answer is None or answer.user is None or not answer.option_ids:
            return
        user = answer.user
        person = PersonRef(PLATFORM, str(user.id), user.full_name)
        replies = await self.core.handle(PollAnswer(person, answer.poll_id, answer.option_ids[0]))
        # In a group the poll itself shows each member's result: private verdicts are dropped.
        # In a private chat the chat id is the user's id.
        public = [r for r in replies if not (isinstance(r, Message) and r.private)]
        await self._send(user.id, public)

    async def _handle(self, event: Event, chat_id: int) -> None:
        await self._send(chat_id, await self.core.handle(event))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if isinstance(error, Forbidden) and isinstance(update, Update) and update.effective_chat:
            await self.core.mark_unreachable(PLATFORM, str(update.effective_chat.id), str(error))
            return
        log.error("error handling a Telegram update", exc_info=error)
        if isinstance(update, Update):
            chat_id = update.effective_chat.id if update.effective_chat else None
            if chat_id is None and update.poll_answer and update.poll_answer.user:
                chat_id = update.poll_answer.user.id
            if chat_id is not None:
                try:
                    await context.bot.send_message(chat_id, APOLOGY)
                except Exception:
                    log.warning("could not send the apology to %s", chat_id)
            if update.callback_query is not None:
                with contextlib.suppress(Exception):
                    await update.callback_query.answer(APOLOGY)

    # --- core -> platform ---------------------------------------------------------------------

    async def deliver(self, chat_id: str, replies: Sequence[Reply]) -> None:
        try:
            await self._send(int(chat_id), replies)
        except Forbidden as error:
            raise DeliveryFailed(str(error), permanent=True) from error
        except BadRequest as error:
            # "chat not found" and friends: the chat is gone for good
            permanent = "not found" in str(error).lower() or "deactivated" in str(error).lower()
            raise DeliveryFailed(str(error), permanent=permanent) from error
        except (NetworkError, RetryAfter) as error:
            raise DeliveryFailed(str(error), permanent=False) from error

    async def _send(self, chat_id: int, replies: Sequence[Reply]) -> None:
        bot = self.application.bot
        for reply in replies:
            if isinstance(reply, AnswerTally):
                continue  # Telegram's poll shows its own count
            if isinstance(reply, ChoicePrompt):
                if reply.header:
                    await bot.send_message(chat_id, _bold(reply.header), parse_mode=ParseMode.HTML)
                sent = await bot.send_poll(
                    chat_id,
                    question=reply.prompt,
                    options=list(reply.options),
                    type=Poll.QUIZ,
                    is_anonymous=False,
                    correct_option_ids=[reply.correct_index],
                    explanation=reply.why,
                )
                if sent.poll is not None:
                    await self.core.link_ask(reply.ask_id, sent.poll.id)
                continue
            chunks, buttons = render(reply)
            for index, chunk in enumerate(chunks):
                last = index == len(chunks) - 1
                await bot.send_message(
                    chat_id,
                    chunk,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(buttons) if last and buttons else None,
                    link_preview_options=None,
                )

    async def _edit(self, source: TelegramMessage, reply: Message) -> None:
        chunks, buttons = render(reply)
        try:
            await source.edit_text(
                chunks[0],
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(buttons) if len(chunks) == 1 and buttons else None,
            )
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                raise
        if len(chunks) > 1:
            for index, chunk in enumerate(chunks[1:], start=1):
                last = index == len(chunks) - 1
                await self.application.bot.send_message(
                    source.chat_id,
                    chunk,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(buttons) if last and buttons else None,
                )


def build_application(
    token: str,
    base_url: str,
    *,
    polling: bool = True,
    rate_limiter: AIORateLimiter | None = None,
) -> Application:  # type: ignore[type-arg]
    """The application as the bot runs it; `rate_limiter` replaces RetryingRateLimiter()."""
    # Opt in to python-telegram-bot's timedelta durations (RetryAfter.retry_after): without it,
    # every 429 logs a deprecation warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_url.replace("/bot", "/file/bot"))
        .rate_limiter(rate_limiter or RetryingRateLimiter())
        # Handle several chats' updates at once, so one person's slow send does not hold up the
        # rest; one chat's updates stay in order.
        .concurrent_updates(PerChatUpdateProcessor(CONCURRENT_UPDATES))
        .connect_timeout(10)
        .read_timeout(15)
        .write_timeout(15)
    )
    if not polling:
        builder = builder.updater(None)
    return builder.build()


def webhook_path(webhook_url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(webhook_url).path or "/telegram/webhook"


def render(reply: Reply) -> tuple[list[str], tuple[Button, ...]]:
    """A reply as Telegram HTML chunks under 4096 characters, split between blocks, and the
    buttons for the last chunk."""
    if isinstance(reply, Explanation):
        blocks = [_bold(reply.title), *render_blocks(reply.markdown, TELEGRAM)]
        see_also = tuple(
            Button(f"See also: {title}"[:60], f"explain:{tid}") for tid, title in reply.see_also
        )
        return pack(blocks, _TEXT_LIMIT), (*reply.buttons, *see_also)
    if isinstance(reply, CardPrompt):
        blocks = [
            f"<i>{TELEGRAM.escape(reply.topic_title)}</i>",
            *render_blocks(reply.prompt, TELEGRAM),
        ]
        if reply.header:
            blocks.insert(0, _bold(reply.header))
        return pack(blocks, _TEXT_LIMIT), reply.buttons
    if isinstance(reply, Message):
        return pack(render_blocks(reply.markdown, TELEGRAM) or ["…"], _TEXT_LIMIT), reply.buttons
    return [], ()


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup:
    """Short labels share a row (Again/Hard/Good/Easy); longer ones get two or one a row."""
    longest = max(len(b.label) for b in buttons)
    per_row = 4 if longest <= 8 else 2 if longest <= 24 else 1
    rows = [
        [InlineKeyboardButton(b.label, callback_data=b.action) for b in buttons[i : i + per_row]]
        for i in range(0, len(buttons), per_row)
    ]
    return InlineKeyboardMarkup(rows)


def _bold(text: str) -> str:
    return f"<b>{TELEGRAM.escape(text)}</b>"


def _plain(markdown: str) -> str:
    """Markdown flattened for an alert (no formatting there), cut to Telegram's 200."""
    text = markdown.replace("**", "").replace("`", "")
    return text if len(text) <= _CALLBACK_ANSWER_LIMIT else text[: _CALLBACK_ANSWER_LIMIT - 1] + "…"


def _person(update: Update) -> PersonRef:
    user = update.effective_user
    assert user is not None
    return PersonRef(PLATFORM, str(user.id), user.full_name)


def _chat(update: Update) -> ChatRef:
    chat = update.effective_chat
    assert chat is not None
    return ChatRef(
        PLATFORM,
        str(chat.id),
        is_group=chat.type != "private",
        title=chat.title or chat.full_name or "",
    )
