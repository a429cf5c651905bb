"""Telegram, on python-telegram-bot: commands, native quiz polls, buttons, webhook or polling.

Transport (rate limits, update order, the application) is in `telegram_transport`; turning
replies into HTML and keyboards in `telegram_render`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import BotCommand, Poll, Update
from telegram import Message as TelegramMessage
from telegram.constants import MessageLimit, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)

from bot.adapters.base import (
    FIRST_RETRY_SECONDS,
    MAX_RETRY_SECONDS,
    DeliveryFailed,
    message_ref,
    parse_message_ref,
    retry_until_reachable,
    send_unsent,
)
from bot.adapters.telegram_render import bold, keyboard, plain, render
from bot.adapters.telegram_transport import (
    RetryingRateLimiter,
    TelegramApplication,
    TelegramBot,
    build_application,
)
from bot.charts import progress_png
from bot.config import Settings
from bot.core.commands import COMMANDS, parse_command
from bot.core.events import ButtonPress, ChatRef, Command, Event, PersonRef, PollAnswer, Text
from bot.core.handler import Core
from bot.core.replies import (
    APOLOGY,
    DATABASE_AWAY,
    AnswerTally,
    Button,
    CardPrompt,
    ChoicePrompt,
    Expired,
    Message,
    Reply,
    Whisper,
)
from bot.errors import StartupError
from bot.metrics import Metrics

__all__ = ["ALLOWED_UPDATES", "TelegramAdapter"]

log = logging.getLogger(__name__)

PLATFORM = "telegram"
# Named explicitly: Telegram remembers the last allowed_updates, and a value left over from an
# earlier run would silently drop poll answers or button presses.
ALLOWED_UPDATES = ["message", "callback_query", "poll_answer"]
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH  # 1024
PICTURE_NAME = "progress.png"


class TelegramAdapter:
    platform = PLATFORM

    def __init__(
        self,
        core: Core,
        application: TelegramApplication,
        *,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        poll_timeout: float = 5,
        paid_broadcast: bool = False,
    ) -> None:
        self.core = core
        self.application = application
        assert isinstance(application.bot, TelegramBot), (
            "build the application with build_application"
        )
        self.bot: TelegramBot = application.bot
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.poll_timeout = poll_timeout
        # Daily pushes and broadcasts may go past 30 messages a second, at 0.1 Star each.
        self.paid_broadcast = paid_broadcast
        application.add_handler(MessageHandler(filters.COMMAND, self._on_command))
        application.add_handler(
            MessageHandler(
                filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, self._on_text
            )
        )
        application.add_handler(CallbackQueryHandler(self._on_button))
        application.add_handler(PollAnswerHandler(self._on_poll_answer))
        application.add_error_handler(self._on_error)
        application.add_handler(TypeHandler(Update, self._looked_at), group=1)
        self._polling: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, core: Core, metrics: Metrics | None = None
    ) -> TelegramAdapter:
        assert settings.telegram_bot_token is not None
        token = settings.telegram_bot_token.get_secret_value()
        webhook = settings.telegram_webhook_url
        application = build_application(token, settings.telegram_api_url)
        limiter = application.bot.rate_limiter
        if metrics is not None and isinstance(limiter, RetryingRateLimiter):
            waits = metrics.rate_limit_waits.labels(PLATFORM)
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
            paid_broadcast=settings.telegram_paid_broadcast,
        )

    # --- lifecycle -------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        if not self.webhook_url:
            return []
        return [web.post(webhook_path(self.webhook_url), self._on_webhook)]

    async def start(self) -> None:
        app = self.application
        try:
            await retry_until_reachable(
                "Telegram", urlsplit(app.bot.base_url).netloc, self._connect, (NetworkError,)
            )
        except BaseException as error:
            # The application never started, so nothing else closes its HTTP sessions.
            await app.bot.request.shutdown()
            await app.updates_request.shutdown()
            if isinstance(error, InvalidToken):
                # PTB's own message quotes the token: never shown.
                raise StartupError(
                    "TELEGRAM_BOT_TOKEN: Telegram rejected the token (401 Unauthorized). Copy it "
                    "again from @BotFather (/mybots, API Token) and set TELEGRAM_BOT_TOKEN."
                ) from None
            raise
        await app.start()
        # Replies an earlier run kept but did not send, then the updates it never handled.
        await send_unsent(self.core, PLATFORM, lambda chat, replies: self._send(int(chat), replies))
        for _waiting_key, payload in await self.core.waiting(PLATFORM):
            await app.update_queue.put(Update.de_json(json.loads(payload), app.bot))
        if self.webhook_url:
            await app.bot.set_webhook(
                self.webhook_url,
                secret_token=self.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            await app.bot.delete_webhook()
            self._polling = asyncio.create_task(self._poll())
        log.info(
            "Telegram bot @%s started (%s)",
            app.bot.username,
            "webhook" if self.webhook_url else "polling",
        )

    async def _connect(self) -> None:
        """Log in (getMe) and publish the command menu."""
        app = self.application
        await app.initialize()
        await app.bot.set_my_commands(
            [BotCommand(c.name, c.summary) for c in COMMANDS if not c.admin_only]
        )

    async def stop(self) -> None:
        app = self.application
        if self._polling is not None:
            self._polling.cancel()
            await asyncio.gather(self._polling, return_exceptions=True)
            self._polling = None
        if app.running:
            await app.stop()
        await app.shutdown()

    async def _poll(self) -> None:
        """Long polling, with each batch stored in the inbox before Telegram is told it
        arrived: the next getUpdates' offset confirms a batch, and is asked for only once the
        batch is in the database, so a crash never loses an update."""
        bot, offset, delay = self.application.bot, 0, FIRST_RETRY_SECONDS
        told_to_wait: set[int] = set()
        while True:
            try:
                updates = await bot.get_updates(
                    offset=offset or None,
                    timeout=int(self.poll_timeout),
                    allowed_updates=ALLOWED_UPDATES,
                )
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning(
                    "polling Telegram failed (%s); retrying in %.0f s", type(error).__name__, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)
                continue
            try:
                received = self.application.updates_request.received
                stored = [_stored(u, received(u.update_id)) for u in updates]
                fresh = set(await self.core.receive(PLATFORM, stored))
            except Exception as error:
                # The batch stays unconfirmed, so Telegram keeps it: handled once the database
                # is back. Meanwhile whoever wrote hears why the answer waits.
                log.warning(
                    "cannot store Telegram updates (%s: the database?); they stay with "
                    "Telegram, retrying in %.0f s",
                    type(error).__name__,
                    delay,
                )
                await self._tell_to_wait([u for u in updates if u.update_id not in told_to_wait])
                told_to_wait.update(u.update_id for u in updates)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)
                continue
            delay = FIRST_RETRY_SECONDS
            told_to_wait.clear()
            for update in updates:
                if _key(update) in fresh:
                    await self.application.update_queue.put(update)
            if updates:
                offset = updates[-1].update_id + 1

    async def _tell_to_wait(self, updates: list[Update]) -> None:
        """Say, once per update, that its answer waits for the database."""
        for update in updates:
            try:
                if update.callback_query is not None:
                    await update.callback_query.answer(DATABASE_AWAY)
                elif _addressed_to_us(update):
                    assert update.effective_chat is not None
                    await self.application.bot.send_message(update.effective_chat.id, DATABASE_AWAY)
            except TelegramError as error:
                log.warning("could not say the answer waits (%s)", type(error).__name__)

    async def _looked_at(self, update: object, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs after the handlers, for every update: done with it, handled or ignored."""
        if isinstance(update, Update):
            self.core.looked_at(_key(update))

    async def _on_webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if self.webhook_secret and not hmac.compare_digest(given, self.webhook_secret):
            return web.Response(status=403, text="wrong secret token")
        try:
            data = await request.json()
            update = Update.de_json(data, self.application.bot)
        except Exception:
            return web.Response(status=400, text="not a Telegram update")
        # Stored before the 200; Telegram redelivers an update it thinks failed, possibly to
        # another of our processes: the inbox takes each once.
        if await self.core.receive(PLATFORM, [_stored(update, data)]):
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
        await self._handle(event, message.chat_id, update)

    async def _on_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.text is None or update.effective_user is None:
            return
        event = Text(_person(update), _chat(update), message.text)
        await self._handle(event, message.chat_id, update)

    async def _on_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        if update.effective_chat is None or not query.data:
            await query.answer("That button no longer works.")
            return
        event = ButtonPress(_person(update), _chat(update), query.data)
        replies = await self.core.handle(event, _key(update))
        in_group = update.effective_chat.type != "private"
        answered = False
        source = query.message if isinstance(query.message, TelegramMessage) else None
        chat_id = update.effective_chat.id
        for reply in replies:
            if isinstance(reply, Message) and reply.private and in_group:
                await query.answer(plain(reply.markdown), show_alert=True)
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
        event = PollAnswer(person, answer.poll_id, answer.option_ids[0])
        replies = await self.core.handle(event, _key(update))
        # In a group the poll itself shows each member's result: private verdicts are dropped.
        # In a private chat the chat id is the user's id.
        public = [r for r in replies if not (isinstance(r, Message) and r.private)]
        await self._send(user.id, public)

    async def _handle(self, event: Event, chat_id: int, update: Update) -> None:
        await self._send(chat_id, await self.core.handle(event, _key(update)))

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
            await self._send(int(chat_id), replies, paid=self.paid_broadcast)
        except Forbidden as error:
            raise DeliveryFailed(str(error), permanent=True) from error
        except BadRequest as error:
            # "chat not found" and friends: the chat is gone for good
            permanent = "not found" in str(error).lower() or "deactivated" in str(error).lower()
            raise DeliveryFailed(str(error), permanent=permanent) from error
        except (NetworkError, RetryAfter) as error:
            raise DeliveryFailed(str(error), permanent=False) from error

    async def _send(self, chat_id: int, replies: Sequence[Reply], *, paid: bool = False) -> None:
        bot = self.application.bot
        paid_args = {"allow_paid_broadcast": True} if paid else {}
        for reply in replies:
            if isinstance(reply, Expired):
                await self._close_card(reply)
                continue
            if isinstance(reply, AnswerTally | Whisper):
                # The poll shows its own count and each member's result.
                continue
            if isinstance(reply, ChoicePrompt):
                if reply.header:
                    await self.bot.post(
                        "sendMessage",
                        chat_id=chat_id,
                        text=bold(reply.header),
                        parse_mode=ParseMode.HTML,
                        **paid_args,
                    )
                # A timed question (a mock interview) is closed by Telegram itself when its
                # time is up; its why waits for the scorecard.
                timed = (
                    {"open_period": reply.time_limit}
                    if reply.time_limit
                    else {"explanation": reply.why}
                )
                sent = await self.bot.post(
                    "sendPoll",
                    chat_id=chat_id,
                    question=reply.prompt,
                    options=[{"text": option} for option in reply.options],
                    type=Poll.QUIZ,
                    is_anonymous=False,
                    correct_option_ids=[reply.correct_index],
                    **timed,
                    **paid_args,
                )
                poll = sent.get("poll") if isinstance(sent, dict) else None
                if isinstance(poll, dict) and "id" in poll:
                    await self.core.link_ask(reply.ask_id, str(poll["id"]))
                continue
            chunks, buttons = render(reply)
            if isinstance(reply, Message) and reply.picture is not None:
                png = await progress_png(reply.picture)
                if png is not None and len(chunks) == 1 and len(chunks[0]) <= CAPTION_LIMIT:
                    await bot.send_photo(
                        chat_id,
                        png,
                        caption=chunks[0],
                        parse_mode=ParseMode.HTML,
                        reply_markup=keyboard(buttons) if buttons else None,
                        filename=PICTURE_NAME,
                        **paid_args,
                    )
                    continue
                await self._send_text(chat_id, chunks, buttons, paid_args)
                if png is not None:  # the text was too long for a caption: the picture after it
                    await bot.send_photo(chat_id, png, filename=PICTURE_NAME, **paid_args)
                continue
            sent_last = await self._send_text(chat_id, chunks, buttons, paid_args)
            if isinstance(reply, CardPrompt) and reply.time_limit:
                # Its buttons go when its time is up (a timed poll closes itself).
                ref = message_ref(PLATFORM, str(chat_id), str(sent_last["message_id"]))
                await self.core.link_ask(reply.ask_id, ref)

    async def _send_text(
        self,
        chat_id: int,
        chunks: Sequence[str],
        buttons: Sequence[Button],
        paid_args: dict[str, bool],
    ) -> dict[str, Any]:
        """Send the chunks, the buttons under the last; returns the last message, as JSON."""
        sent: dict[str, Any] = {}
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            sent = await self.bot.post(
                "sendMessage",
                chat_id=chat_id,
                text=chunk,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(buttons) if last and buttons else None,
                **paid_args,
            )
        return sent

    async def _close_card(self, reply: Expired) -> None:
        """A timed card whose time is up: its note in its place, buttons gone. (A timed quiz
        poll needs nothing: Telegram closes it.)"""
        found = parse_message_ref(PLATFORM, reply.platform_ref)
        if found is None or not found[1].isdigit():
            return
        chat_id, message_id = found
        shown = (
            f"**Question:** {reply.prompt}\n\n{reply.markdown}" if reply.prompt else reply.markdown
        )
        chunks, _buttons = render(Message(shown))
        try:
            await self.application.bot.edit_message_text(
                chunks[0], chat_id=chat_id, message_id=int(message_id), parse_mode=ParseMode.HTML
            )
        except BadRequest as error:
            log.warning("could not close a timed card: %s", error)

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


def webhook_path(webhook_url: str) -> str:
    return urlsplit(webhook_url).path or "/telegram/webhook"


def _addressed_to_us(update: Update) -> bool:
    """A message the bot would answer: anything in a private chat, a command in a group."""
    message, chat = update.message, update.effective_chat
    if message is None or chat is None:
        return False
    return chat.type == "private" or (message.text or "").startswith("/")


def _key(update: Update) -> str:
    return f"telegram:update:{update.update_id}"


def _stored(update: Update, as_sent: dict[str, Any] | None) -> tuple[str, str]:
    """The update as the inbox keeps it: its key and the JSON Telegram sent (rebuilt from the
    parsed update only if the JSON as sent is missing)."""
    return _key(update), json.dumps(as_sent if as_sent is not None else update.to_dict())


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
