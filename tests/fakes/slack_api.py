"""A local Slack: a Web API that records what the bot sends and refuses, like Slack would, any
call the published spec or Block Kit does not allow; and a client that sends the bot signed
slash commands, button clicks and Events API callbacks."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.signature import SignatureVerifier

from tests.fakes.server import serve_locally
from tests.fakes.specs import load_spec

BOT_TOKEN = "xoxb-test-token-0000"
APP_TOKEN = "xapp-test-token-0000"
SIGNING_SECRET = "test-signing-secret-0000"
TEAM = "T0TEAM"
BOT_USER = "U0BOT"
_MAX_BLOCKS = {"message": 50, "view": 100}
# Accepted by every method today but newer than the 2020 spec snapshot (org-wide apps).
_NEWER_THAN_SPEC = {"team_id"}
# Methods newer than the 2020 snapshot, with their documented parameters (required, optional)
# and the scope they need: the two halves of an upload since files.upload was retired.
_NEWER_METHODS: dict[str, tuple[set[str], set[str], str]] = {
    "files.getUploadURLExternal": (
        {"filename", "length"},
        {"alt_txt", "snippet_type"},
        "files:write",
    ),
    "files.completeUploadExternal": (
        {"files"},
        {"channel_id", "channels", "initial_comment", "thread_ts", "blocks"},
        "files:write",
    ),
}
_RETIRED = {"files.upload"}  # answered with method_deprecated since November 2025
_MAX_ALT_TEXT = 1000
ALL_SCOPES = frozenset(
    {"commands", "chat:write", "im:write", "im:history", "users:read", "files:write"}
)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)  # when the fake received it


@dataclass
class Posted:
    """A message as Slack keeps it, so that a click can carry it back like Slack does."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]


def texts(blocks: list[dict[str, Any]]) -> str:
    """The text a person reads in a message's blocks: sections and mrkdwn context lines."""
    parts = []
    for block in blocks:
        if "text" in block:
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                parts.append(element["text"])
    return "\n".join(parts)


@dataclass
class Upload:
    """A file as the bot uploaded it: announced, sent to its upload URL, then shared."""

    file_id: str
    filename: str
    length: int
    alt_txt: str | None
    data: bytes | None = None
    title: str | None = None
    channel: str | None = None
    initial_comment: str | None = None


@dataclass
class FakeSlackApi:
    """Start with `await fake.start()`; the bot's SLACK_API_URL is `fake.base_url`."""

    calls: list[Call] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    timezones: dict[str, str] = field(default_factory=dict)
    not_in: set[str] = field(default_factory=set)  # channels the bot is not a member of
    rate_limited: dict[str, int] = field(default_factory=dict)  # method -> 429s still to give
    responses: list[dict[str, Any]] = field(default_factory=list)  # posts to response_url
    scopes: frozenset[str] = ALL_SCOPES  # what the bot token was granted
    uploads: list[Upload] = field(default_factory=list)  # files shared by completeUploadExternal

    def __post_init__(self) -> None:
        self.spec = load_spec("slack-web-api.json")
        self.messages: dict[str, Posted] = {}
        self._ts = itertools.count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.sockets: list[web.WebSocketResponse] = []
        self._files: dict[str, Upload] = {}  # announced by getUploadURLExternal, by file id
        self._file_ids = itertools.count(1)
        self.socket_acks: list[dict[str, Any]] = []
        self._envelopes = itertools.count(1)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner, self.port = await serve_locally(app)

    async def stop(self) -> None:
        for socket in self.sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{key}"

    # --- what the bot sent --------------------------------------------------------------------

    def sent(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10) -> list[Call]:
        async with asyncio.timeout(timeout):
            while len(self.sent(method)) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.sent(method)

    async def wait_for_responses(self, count: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
        async with asyncio.timeout(timeout):
            while len(self.responses) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.responses

    # --- the Web API --------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        token = token or str(params.pop("token", ""))
        if method == "apps.connections.open":  # Socket Mode; newer than the spec snapshot
            if token != APP_TOKEN:
                self.refusals.append(f"{method}: needs the app-level token")
                return web.json_response({"ok": False, "error": "not_allowed_token_type"})
            self.calls.append(Call(method, params))
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"})
        known = self.spec["paths"].get(f"/{method}") is not None or method in _NEWER_METHODS
        if known and token != BOT_TOKEN:
            # What Slack answers a token it does not know (or one that was revoked).
            self.calls.append(Call(f"{method}:invalid_auth", params))
            self._notify()
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method in _RETIRED:
            self.refusals.append(f"{method}: retired; use files.getUploadURLExternal")
            self._notify()
            return web.json_response({"ok": False, "error": "method_deprecated"})
        needed = _NEWER_METHODS[method][2] if method in _NEWER_METHODS else None
        if needed is not None and needed not in self.scopes:
            self.calls.append(Call(f"{method}:missing_scope", params))
            self._notify()
            return web.json_response(
                {
                    "ok": False,
                    "error": "missing_scope",
                    "needed": needed,
                    "provided": ",".join(sorted(self.scopes)),
                }
            )
        problem = self._check(method, params, token)
        if problem:
            self.refusals.append(f"{method}: {problem}")
            self._notify()
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        if self.rate_limited.get(method, 0) > 0:
            self.rate_limited[method] -= 1
            self.calls.append(Call(f"{method}:429", params))
            self._notify()
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        self.calls.append(Call(method, params))
        self._notify()
        return web.json_response(self._answer(method, params))

    def _check(self, method: str, params: dict[str, Any], token: str) -> str | None:
        if method in _NEWER_METHODS:
            return self._check_newer(method, params)
        operation = self.spec["paths"].get(f"/{method}")
        if operation is None:
            return "no such method"
        declared = next(iter(operation.values())).get("parameters", [])
        names = {p["name"] for p in declared}
        for parameter in declared:
            name = parameter["name"]
            if parameter.get("required") and name != "token" and name not in params:
                return f"missing required parameter {name}"
        unknown = set(params) - names - _NEWER_THAN_SPEC
        if unknown:
            return f"unknown parameters {sorted(unknown)}"
        if "blocks" in params:
            return _check_blocks(params["blocks"], "message")
        if "view" in params:
            view = params["view"]
            view = json.loads(view) if isinstance(view, str) else view
            return _check_blocks(view.get("blocks", []), "view")
        return None

    def _check_newer(self, method: str, params: dict[str, Any]) -> str | None:
        """The documented parameters of a method newer than the spec snapshot."""
        required, optional, _scope = _NEWER_METHODS[method]
        missing = required - set(params)
        if missing:
            return f"missing required parameter {sorted(missing)[0]}"
        unknown = set(params) - required - optional - _NEWER_THAN_SPEC
        if unknown:
            return f"unknown parameters {sorted(unknown)}"
        if method == "files.getUploadURLExternal":
            if not str(params["filename"]).strip():
                return "filename is empty"
            if not str(params["length"]).isdigit() or int(params["length"]) <= 0:
                return f"length must be a positive integer, got {params['length']!r}"
            if len(str(params.get("alt_txt", ""))) > _MAX_ALT_TEXT:
                return f"alt_txt is longer than {_MAX_ALT_TEXT} characters"
            return None
        try:
            files = json.loads(params["files"])
        except ValueError:
            return "files is not JSON"
        if not isinstance(files, list) or not files:
            return "files must be a non-empty JSON array"
        for item in files:
            if not isinstance(item, dict) or set(item) - {"id", "title"} or "id" not in item:
                return f"files: each item is {{id, title}}, got {item!r}"
            upload = self._files.get(str(item["id"]))
            if upload is None:
                return f"files: {item['id']} was never announced with getUploadURLExternal"
            if upload.data is None:
                return f"files: {item['id']} was never uploaded to its upload_url"
        if "channel_id" in params and "channels" in params:
            return "give channel_id or channels, not both"
        return None

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if method.startswith("chat.") and channel in self.not_in:
            return {"ok": False, "error": "not_in_channel"}
        blocks = params.get("blocks") or []
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
        if method == "chat.postMessage":
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            self.messages[ts] = Posted(channel, ts, str(params.get("text", "")), blocks)
            return {"ok": True, "channel": channel, "ts": ts}
        if method == "chat.update":
            posted = self.messages.get(str(params["ts"]))
            if posted is None:
                return {"ok": False, "error": "message_not_found"}
            posted.blocks, posted.text = blocks, str(params.get("text", ""))
            return {"ok": True, "channel": channel, "ts": posted.ts}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}
        if method == "users.info":
            user = str(params.get("user", ""))
            return {"ok": True, "user": {"id": user, "tz": self.timezones.get(user)}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", ""))}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._file_ids):07d}"
            self._files[file_id] = Upload(
                file_id, str(params["filename"]), int(params["length"]), params.get("alt_txt")
            )
            upload_url = f"http://127.0.0.1:{self.port}/upload/{file_id}"
            return {"ok": True, "upload_url": upload_url, "file_id": file_id}
        if method == "files.completeUploadExternal":
            shared = []
            for item in json.loads(params["files"]):
                upload = self._files.pop(str(item["id"]))
                upload.title = item.get("title")
                upload.channel = params.get("channel_id") or params.get("channels")
                upload.initial_comment = params.get("initial_comment")
                self.uploads.append(upload)
                shared.append({"id": upload.file_id, "title": upload.title or upload.filename})
            return {"ok": True, "files": shared}
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "B0BOT", "team_id": TEAM}
        return {"ok": True}

    # --- Socket Mode ------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1})
        self.sockets.append(socket)
        self._notify()
        async for message in socket:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
                self._notify()
        return socket

    async def push_over_socket(self, kind: str, payload: dict[str, Any]) -> str:
        """Sends an envelope (`slash_commands`, `interactive`, `events_api`) to the connected
        app, as Slack does in Socket Mode; returns its envelope id."""
        async with asyncio.timeout(10):
            while not self.sockets:
                self._changed.clear()
                await self._changed.wait()
        envelope_id = f"env-{next(self._envelopes)}"
        await self.sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
            }
        )
        return envelope_id

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL getUploadURLExternal handed out: the file's bytes, as a raw body or
        a multipart form."""
        upload = self._files.get(request.match_info["file_id"])
        if upload is None:
            self.refusals.append("upload: to a URL that was never handed out")
            return web.Response(status=404, text="no such upload")
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            part = next(iter(form.values()), None)
            data = part.file.read() if isinstance(part, web.FileField) else b""
        else:
            data = await request.read()
        if len(data) != upload.length:
            self.refusals.append(f"upload: {len(data)} bytes, announced {upload.length}")
            return web.Response(status=400, text="length mismatch")
        upload.data = data
        return web.Response(text=f"OK - {len(data)}")

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        self._notify()
        return web.Response(text="ok")

    def _notify(self) -> None:
        self._changed.set()


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            params.update(await request.json())
        else:
            params.update({k: v for k, v in (await request.post()).items()})
    return params


def _check_blocks(blocks: Any, surface: str) -> str | None:
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    if len(blocks) > _MAX_BLOCKS[surface]:
        return f"{len(blocks)} blocks; a {surface} takes at most {_MAX_BLOCKS[surface]}"
    ids = []
    for raw in blocks:
        try:
            parsed = Block.parse(raw)
            if parsed is None:
                return f"unknown block {raw!r}"
            parsed.validate_json()
        except SlackObjectFormationError as error:
            return f"invalid block: {error}"
        ids += [e.get("action_id") for e in raw.get("elements", []) if "action_id" in e]
    if len(ids) != len(set(ids)):
        return "two buttons share an action_id"
    return None


# --- the bot's side: signed requests, as Slack sends them ------------------------------------


@dataclass
class SlackUser:
    id: str
    name: str


class SlackSender:
    """Sends the bot what Slack would, signed with the app's signing secret."""

    def __init__(self, bot_url: str, api: FakeSlackApi, secret: str = SIGNING_SECRET) -> None:
        self.url = bot_url.rstrip("/") + "/slack/events"
        self.api = api
        self.verifier = SignatureVerifier(secret)
        self._events = itertools.count(1)
        self._triggers = itertools.count(1)

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> aiohttp.ClientResponse:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signed = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature
            or str(self.verifier.generate_signature(timestamp=stamp, body=body)),
            **(headers or {}),
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=body.encode(), headers=signed) as response,
        ):
            await response.read()
            return response

    async def command(
        self, user: SlackUser, channel: str, command: str, text: str = ""
    ) -> aiohttp.ClientResponse:
        body = urlencode(
            {
                "token": "legacy",
                "team_id": TEAM,
                "channel_id": channel,
                "channel_name": "directmessage" if channel.startswith("D") else "general",
                "user_id": user.id,
                "user_name": user.name,
                "command": command,
                "text": text,
                "api_app_id": "A0APP",
                "response_url": self.api.response_url(f"cmd-{next(self._triggers)}"),
                "trigger_id": f"trigger-{next(self._triggers)}",
            }
        )
        return await self.post(body, "application/x-www-form-urlencoded")

    async def click(
        self, user: SlackUser, posted: Posted | None, value: str, *, from_home: bool = False
    ) -> aiohttp.ClientResponse:
        """A click on the button carrying `value` in a posted message (or the App Home)."""
        action_id = "rb:0"
        if posted is not None:
            action_id = next(
                e["action_id"]
                for b in posted.blocks
                if b["type"] == "actions"
                for e in b["elements"]
                if e.get("value") == value
            )
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM},
            "api_app_id": "A0APP",
            "token": "legacy",
            "team": {"id": TEAM},
            "trigger_id": f"trigger-{next(self._triggers)}",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b",
                    "value": value,
                    "action_ts": str(time.time()),
                }
            ],
        }
        if from_home or posted is None:
            payload["container"] = {"type": "view", "view_id": "V0HOME"}
            payload["view"] = {"id": "V0HOME", "type": "home", "blocks": []}
        else:
            payload["container"] = {
                "type": "message",
                "message_ts": posted.ts,
                "channel_id": posted.channel,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": posted.channel, "name": "general"}
            payload["message"] = {
                "type": "message",
                "ts": posted.ts,
                "text": posted.text,
                "blocks": posted.blocks,
            }
            payload["response_url"] = self.api.response_url(f"act-{next(self._triggers)}")
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int = 0
    ) -> aiohttp.ClientResponse:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": TEAM,
                "api_app_id": "A0APP",
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(self._events):06d}",
                "event_time": int(time.time()),
                "event": event,
                "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            }
        )
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "timeout"}
        return await self.post(body, "application/json", headers=headers if retry else None)
