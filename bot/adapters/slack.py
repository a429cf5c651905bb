"""Slack, on slack-bolt (async): slash commands, Block Kit questions, an App Home, HTTP or
Socket Mode."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.base import (
    DeliveryFailed,
    message_ref,
    parse_message_ref,
    retry_until_reachable,
    send_unsent,
)
from bot.adapters.slack_blocks import expired_message, home_view, render, sections, tally_blocks
from bot.charts import progress_png
from bot.config import Settings
from bot.core import actions
from bot.core.commands import spec
from bot.core.events import ButtonPress, ChatRef, Command, Event, PersonRef, Text
from bot.core.handler import Core
from bot.core.replies import (
    APOLOGY,
    DATABASE_AWAY_RETRY,
    AnswerTally,
    CardPrompt,
    ChoicePrompt,
    Expired,
    Message,
    Reply,
    Whisper,
)
from bot.errors import StartupError
from bot.metrics import Metrics

__all__ = ["EVENTS_PATH", "SlackAdapter", "build_client"]

log = logging.getLogger(__name__)

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
PICTURE_NAME = "progress.png"
PICTURES_NEED_SCOPE = (
    "Progress pictures need the `files:write` scope: add it under OAuth & Permissions "
    "(it is in slack-manifest.yml) and reinstall the app."
)
NOT_IN_CHANNEL = (
    "I can't post in this channel yet. Invite me first (`/invite @revision-bot`), "
    "or talk to me in a direct message."
)
# Errors after which a channel will never accept our messages again.
# auth.test's answers for a token that will never work.
_REFUSED_TOKEN = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)
_GONE = {
    "channel_not_found",
    "is_archived",
    "not_in_channel",
    "account_inactive",
    "user_not_found",
    "user_disabled",
    "cannot_dm_bot",
    "messages_tab_disabled",
    "invalid_auth",
    "token_revoked",
}
_BUTTON = re.compile(r"^rb:")
_TALLIES_KEPT = 1_000  # round questions whose shown answer count is remembered


class CountingRateLimitHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (waits Retry-After, then retries), counting each wait."""

    def __init__(self, on_wait: Any = None, max_retry_count: int = 5) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.on_wait = on_wait

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if self.on_wait is not None:
            self.on_wait()
        log.info("Slack asked us to slow down (429); waiting before retrying")
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


def build_client(token: str, base_url: str, on_rate_limited: Any = None) -> AsyncWebClient:
    handlers: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=2),
        CountingRateLimitHandler(on_rate_limited),
    ]
    base = base_url if base_url.endswith("/") else base_url + "/"
    return AsyncWebClient(token=token, base_url=base, retry_handlers=handlers, timeout=15)


class SlackAdapter:
    platform = PLATFORM

    def __init__(
        self,
        core: Core,
        client: AsyncWebClient,
        signing_secret: str,
        *,
        app_token: str | None = None,
    ) -> None:
        self.core = core
        self.client = client
        self.app_token = app_token
        self._verifier = SignatureVerifier(signing_secret)
        self.app = AsyncApp(
            client=client,
            signing_secret=signing_secret,
            # Our own error handling replies to the person; bolt's default would only log.
            raise_error_for_unhandled_request=False,
        )
        self._socket_handler: Any = None
        self._dm_channels: dict[str, str] = {}
        self._timezones: dict[str, str | None] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._tally_lock = asyncio.Lock()
        self._tallies_shown: dict[str, int] = {}  # message ts -> answers it shows
        self._register()

    @classmethod
    def from_settings(
        cls, settings: Settings, core: Core, metrics: Metrics | None = None
    ) -> SlackAdapter:
        assert settings.slack_bot_token is not None and settings.slack_signing_secret is not None
        waits = metrics.rate_limit_waits.labels(PLATFORM).inc if metrics else None
        client = build_client(
            settings.slack_bot_token.get_secret_value(), settings.slack_api_url, waits
        )
        return cls(
            core,
            client,
            settings.slack_signing_secret.get_secret_value(),
            app_token=(
                settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
            ),
        )

    def _register(self) -> None:
        app = self.app
        app.middleware(self._store_socket_mode_request)
        app.command(re.compile(r"^/"))(self._then_done(self._on_command))
        app.action(_BUTTON)(self._then_done(self._on_button))
        app.event("app_home_opened")(self._then_done(self._on_home_opened))
        app.event("message")(self._then_done(self._on_message))

    async def _store_socket_mode_request(
        self, request: AsyncBoltRequest, next_: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        """In Socket Mode the acknowledgement goes back over the socket when a listener acks:
        the request is stored in the inbox first, as `_on_request` does over HTTP. A
        redelivery of one stored already is acknowledged and dropped."""
        if request.mode == "socket_mode":
            key = _inbox_key(request.body)
            if key is not None:
                stored = _stored(json.dumps(request.body), "application/json")
                if not await self.core.receive(PLATFORM, [(key, stored)]):
                    return BoltResponse(status=200, body="")
        return await next_()

    def _then_done(self, listener: Callable[..., Awaitable[None]]) -> Callable[..., Any]:
        """The listener, then the inbox told the request was looked at (handled or not)."""

        @functools.wraps(listener)
        async def run(**kwargs: Any) -> None:
            try:
                await listener(**kwargs)
            finally:
                key = _inbox_key(kwargs.get("body") or {})
                if key is not None:
                    self.core.looked_at(key)

        return run

    # --- lifecycle -------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        if self.app_token:
            return []
        return [web.post(EVENTS_PATH, self._on_request)]

    async def start(self) -> None:
        try:
            await retry_until_reachable(
                "Slack",
                urlsplit(self.client.base_url).netloc,
                self.client.auth_test,
                (aiohttp.ClientError, TimeoutError, OSError),
            )
        except SlackApiError as error:
            code = _error_code(error)
            if code in _REFUSED_TOKEN:
                raise StartupError(
                    f"SLACK_BOT_TOKEN: Slack rejected the token ({code}). Copy the Bot User "
                    "OAuth Token (xoxb-...) from your app's OAuth & Permissions page, and "
                    "reinstall the app to the workspace if it was revoked."
                ) from None
            raise
        # Replies an earlier run kept but did not send, then the requests it never handled.
        await send_unsent(self.core, PLATFORM, self._send)
        await self._replay_waiting()
        if self.app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket_handler = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket_handler.connect_async()
        log.info("Slack app started (%s)", "Socket Mode" if self.app_token else EVENTS_PATH)

    async def _replay_waiting(self) -> None:
        """Requests stored by an earlier run that died before handling them: through bolt
        again, signed afresh with the app's own secret (the original signature has aged)."""
        for _key, stored in await self.core.waiting(PLATFORM):
            saved = json.loads(stored)
            stamp = str(int(time.time()))
            headers = {
                "content-type": saved["content_type"],
                "x-slack-request-timestamp": stamp,
                "x-slack-signature": self._verifier.generate_signature(
                    timestamp=stamp, body=saved["body"]
                ),
            }
            try:
                await self.app.async_dispatch(AsyncBoltRequest(body=saved["body"], headers=headers))
            except Exception:
                log.exception("could not replay a stored Slack request")

    async def stop(self) -> None:
        if self._socket_handler is not None:
            await self._socket_handler.close_async()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def _on_request(self, request: web.Request) -> web.Response:
        body = await request.text()
        parsed = _parse(body)
        key = _inbox_key(parsed)
        if key is not None and self._verifier.is_valid_request(body, dict(request.headers)):
            # Stored before Slack hears back: a crash from here on means it is handled after
            # the restart; a retry of something stored already is answered and dropped.
            stored = _stored(body, request.content_type)
            try:
                fresh = await self.core.receive(PLATFORM, [(key, stored)])
            except Exception as error:
                return _database_away(parsed, error)
            if not fresh:
                return web.Response(text="")
        try:
            bolt_request = AsyncBoltRequest(
                body=body,
                query=request.query_string,
                headers=request.headers,  # type: ignore[arg-type]
            )
            bolt_response = await self.app.async_dispatch(bolt_request)
            if bolt_response.status == 404 and key is not None:
                self.core.looked_at(key)  # no listener for it: nothing to handle later
        except Exception as error:
            # A signed body bolt cannot parse (JSON that is not an object, say): not Slack's,
            # and not worth replaying after a restart either.
            log.warning("unreadable request to %s: %s", EVENTS_PATH, type(error).__name__)
            if key is not None:
                self.core.looked_at(key)
            return web.Response(status=400, text="not a Slack request")
        return await to_aiohttp_response(bolt_response)

    # --- platform -> core ---------------------------------------------------------------------

    async def _on_command(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        name = str(body.get("command", "")).lstrip("/").lower()
        user_id = str(body.get("user_id", ""))
        channel_id = str(body.get("channel_id", ""))
        person = await self._person(user_id, body.get("user_name", ""), want_tz=name == "daily")
        chat = _chat(channel_id, body.get("channel_name", ""))
        event = Command(person, chat, name, str(body.get("text", "")).strip())
        try:
            replies = await self.core.handle(event, _inbox_key(body))
            await self._send(channel_id, replies, user_id=user_id)
        except Exception as error:
            if isinstance(error, SlackApiError) and _error_code(error) in {
                "not_in_channel",
                "channel_not_found",
            }:
                await _safely(respond(text=NOT_IN_CHANNEL, response_type="ephemeral"))
                return
            log.exception("error answering a Slack command")
            await _safely(respond(text=APOLOGY, response_type="ephemeral"))

    async def _on_button(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user = body.get("user") or {}
        user_id = str(user.get("id", ""))
        person = await self._person(user_id, user.get("name") or user.get("username") or "")
        channel_id = str((body.get("channel") or {}).get("id", ""))
        from_home = (body.get("container") or {}).get("type") == "view"
        try:
            if not channel_id:
                channel_id = await self._dm_channel(user_id)
            source = body.get("message") if not from_home else None
            event = ButtonPress(person, _chat(channel_id), str(action.get("value", "")))
            replies = await self.core.handle(event, _inbox_key(body))
            await self._send(channel_id, replies, user_id=user_id, source=source)
        except Exception:
            log.exception("error handling a Slack button")
            if channel_id:
                await _safely(
                    self.client.chat_postEphemeral(channel=channel_id, user=user_id, text=APOLOGY)
                )
            return
        parsed = actions.parse(str(action.get("value", "")))
        if parsed is not None and parsed.verb in {"answer", "rate", "forget"}:
            self._in_background(self._publish_home(person))

    async def _on_home_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") != "home" or not await self._first_time(body):
            return
        person = await self._person(str(event.get("user", "")), "")
        try:
            await self._publish_home(person)
        except Exception:
            log.exception("could not publish the App Home")

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        # Only plain messages people type to the bot directly; the rest is not for us.
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        if not await self._first_time(body):
            return
        channel_id = str(event.get("channel", ""))
        person = await self._person(str(event.get("user", "")), "")
        text = str(event.get("text", "")).strip()
        command = _as_command(text)
        chat = _chat(channel_id)
        handled: Event = (
            Command(person, chat, command[0], command[1]) if command else Text(person, chat, text)
        )
        try:
            await self._send(channel_id, await self.core.handle(handled, _inbox_key(body)))
        except Exception:
            log.exception("error answering a Slack message")
            await _safely(self.client.chat_postMessage(channel=channel_id, text=APOLOGY))

    async def _first_time(self, body: dict[str, Any]) -> bool:
        """Slack retries an event it thinks we missed (X-Slack-Retry-Num); handle each once.
        Over HTTP the inbox already took it once; over Socket Mode it is stored here."""
        key = _inbox_key(body)
        if key is None or not self.app_token:
            return True
        stored = _stored(json.dumps(body), "application/json")
        return bool(await self.core.receive(PLATFORM, [(key, stored)]))

    async def _person(self, user_id: str, name: str, *, want_tz: bool = False) -> PersonRef:
        timezone = await self._timezone(user_id) if want_tz else None
        return PersonRef(PLATFORM, user_id, name, timezone)

    async def _timezone(self, user_id: str) -> str | None:
        if user_id not in self._timezones:
            try:
                response = await self.client.users_info(user=user_id)
                self._timezones[user_id] = (response.get("user") or {}).get("tz")
            except SlackClientError as error:
                log.warning("could not read the Slack timezone of %s: %s", user_id, error)
                return None
        return self._timezones[user_id]

    async def _dm_channel(self, user_id: str) -> str:
        if user_id not in self._dm_channels:
            response = await self.client.conversations_open(users=user_id)
            self._dm_channels[user_id] = str((response.get("channel") or {}).get("id", ""))
        return self._dm_channels[user_id]

    async def _publish_home(self, person: PersonRef) -> None:
        progress = await self.core.progress(person)
        await self.client.views_publish(user_id=person.platform_id, view=home_view(progress))

    def _in_background(self, work: Any) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("background Slack work failed")

        task = asyncio.create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- core -> platform ---------------------------------------------------------------------

    async def _show_tally(self, channel: str, source: dict[str, Any], answers: int) -> None:
        """Put the answer count under a round's question. Members answering at once send their
        counts at once: they go one at a time, and a count below the one shown is dropped, so
        the question never ends up showing fewer answers than it had."""
        ts = source["ts"]
        async with self._tally_lock:
            if answers <= self._tallies_shown.get(ts, 0):
                return
            await self.client.chat_update(
                channel=channel,
                ts=ts,
                blocks=tally_blocks(source.get("blocks") or [], answers),
                text=source.get("text") or "Question",
            )
            if len(self._tallies_shown) >= _TALLIES_KEPT:
                self._tallies_shown.clear()
            self._tallies_shown[ts] = answers

    async def deliver(self, chat_id: str, replies: Sequence[Reply]) -> None:
        try:
            await self._send(chat_id, replies)
        except SlackApiError as error:
            code = _error_code(error)
            raise DeliveryFailed(code or str(error), permanent=code in _GONE) from error
        except SlackClientError as error:
            raise DeliveryFailed(str(error), permanent=False) from error

    async def _send(
        self,
        channel: str,
        replies: Sequence[Reply],
        *,
        user_id: str = "",
        source: dict[str, Any] | None = None,
    ) -> None:
        in_channel = not channel.startswith("D")
        for reply in replies:
            if isinstance(reply, AnswerTally):
                if source is not None and source.get("ts"):
                    await self._show_tally(channel, source, reply.answers)
                continue
            if isinstance(reply, Expired):
                await self._close_question(reply)
                continue
            if isinstance(reply, Whisper):
                for text, blocks in render(Message(reply.markdown)):
                    await self.client.chat_postEphemeral(
                        channel=channel, user=reply.platform_id, text=text, blocks=blocks
                    )
                continue
            for index, (text, blocks) in enumerate(render(reply)):
                if isinstance(reply, Message) and reply.private and in_channel and user_id:
                    await self.client.chat_postEphemeral(
                        channel=channel, user=user_id, text=text, blocks=blocks
                    )
                elif (
                    index == 0
                    and isinstance(reply, Message)
                    and reply.replace
                    and source is not None
                    and source.get("ts")
                ):
                    await self.client.chat_update(
                        channel=channel, ts=source["ts"], text=text, blocks=blocks
                    )
                else:
                    posted = await self.client.chat_postMessage(
                        channel=channel, text=text, blocks=blocks
                    )
                    if isinstance(reply, ChoicePrompt | CardPrompt) and reply.time_limit:
                        # A timed question is edited when its time is up, maybe by another
                        # process: where it is goes into the database with its ask.
                        await self.core.link_ask(
                            reply.ask_id, message_ref(PLATFORM, channel, posted.get("ts", ""))
                        )

            if isinstance(reply, Message) and reply.picture is not None:
                await self._send_picture(channel, reply, user_id=user_id)

    async def _send_picture(self, channel: str, reply: Message, *, user_id: str) -> None:
        """The reply's picture, uploaded after its numbers. A private reply in a channel has
        its picture in the person's direct message instead (an upload cannot be ephemeral).
        Without the files:write scope, one line says how to enable pictures."""
        assert reply.picture is not None
        private = reply.private and not channel.startswith("D") and bool(user_id)
        png = await progress_png(reply.picture)
        if png is None:
            return
        try:
            await self.client.files_upload_v2(
                channel=await self._dm_channel(user_id) if private else channel,
                file=png,
                filename=PICTURE_NAME,
                title="Your progress",
                alt_txt=reply.picture.summary(),
            )
        except SlackApiError as error:
            if _error_code(error) != "missing_scope":
                raise
            log.warning("cannot upload the progress picture: the app lacks files:write")
            note = PICTURES_NEED_SCOPE
            if private:
                await self.client.chat_postEphemeral(
                    channel=channel, user=user_id, text=note, blocks=sections(note)
                )
            else:
                await self.client.chat_postMessage(
                    channel=channel, text=note, blocks=sections(note)
                )

    async def _close_question(self, reply: Expired) -> None:
        """Show a timed question's note (time's up, answered) in its place, buttons gone."""
        found = parse_message_ref(PLATFORM, reply.platform_ref)
        if found is None:
            return
        channel, ts = found
        text, blocks = expired_message(reply)
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as error:
            log.warning("could not close a timed question: %s", _error_code(error))


def _database_away(parsed: dict[str, Any], error: Exception) -> web.Response:
    """The request could not be stored. A slash command is answered with a word to the
    person (Slack shows it to them alone); anything else gets a 503, which Slack retries."""
    log.warning("cannot store a Slack request (%s: the database?)", type(error).__name__)
    if "command" in parsed:
        return web.Response(text=DATABASE_AWAY_RETRY)
    return web.Response(status=503, text="the database is unavailable")


def _parse(body: str) -> dict[str, Any]:
    """A request body as bolt reads it: JSON (events), or a form with a JSON `payload`
    (interactions), or a plain form (slash commands)."""
    try:
        if body.startswith("{"):
            parsed = json.loads(body)
            return parsed if isinstance(parsed, dict) else {}
        form = dict(parse_qsl(body))
        if "payload" in form:
            payload = json.loads(form["payload"])
            return payload if isinstance(payload, dict) else {}
        return form
    except ValueError:
        return {}


def _stored(body: str, content_type: str) -> str:
    """A request as the inbox keeps it, enough to dispatch it through bolt again."""
    return json.dumps({"body": body, "content_type": content_type})


def _inbox_key(body: dict[str, Any]) -> str | None:
    """What identifies a request for the inbox: the event id, or the trigger of a command or
    a click; None for what needs no inbox (URL verification, unreadable bodies)."""
    if body.get("event_id"):
        return f"slack:event:{body['event_id']}"
    trigger = body.get("trigger_id")
    if trigger and (body.get("command") or body.get("type") == "block_actions"):
        return f"slack:trigger:{trigger}"
    return None


def _chat(channel_id: str, channel_name: str = "") -> ChatRef:
    # D…: a direct message with the bot; C… (public), G… (private, group DM): a group.
    is_group = not channel_id.startswith("D") and channel_name != "directmessage"
    return ChatRef(PLATFORM, channel_id, is_group=is_group, title=channel_name)


def _as_command(text: str) -> tuple[str, str] | None:
    """A direct message like `quiz gil` or `/quiz gil` read as the command it names."""
    word, _, rest = text.lstrip("/").partition(" ")
    name = word.lower()
    return (name, rest.strip()) if name and spec(name) is not None else None


def _error_code(error: SlackApiError) -> str:
    response = error.response
    data = response.data if response is not None else None
    return str(data.get("error", "")) if isinstance(data, dict) else ""


async def _safely(call: Any) -> None:
    try:
        await call
    except Exception:
        log.warning("could not send the apology on Slack")
