"""A local Telegram Bot API: serves getUpdates like the real server, records what the bot sends,
and refuses, like Telegram would, any request the published spec does not allow."""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from PIL import Image

from tests.fakes.server import serve_locally
from tests.fakes.specs import load_spec

BOT_ID = 4242
BOT_USERNAME = "revision_test_bot"
_LIMIT = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_COUNT = re.compile(r"list of (\d+)-(\d+)")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200  # what the fake answered


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded in a multipart request (a photo)."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Fault:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class FakeTelegram:
    """Start with `await fake.start()`; the bot's base URL is `fake.base_url`."""

    token: str = "123456:TEST-TOKEN"
    calls: list[Call] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    # Telegram remembers the last allowed_updates a bot gave; this one starts with a stale value.
    allowed_updates: list[str] = field(default_factory=lambda: ["message"])
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    fault_counts: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.spec = load_spec("telegram-bot-api.json")
        self._updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._ids = itertools.count(1000)
        self._update_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.poll_ids: list[str] = []
        self.polled = asyncio.Event()  # set at each getUpdates
        # Methods whose requests are held unanswered, as if the network lost them: they are
        # listed in `held`, never in `calls`.
        self.holding: set[str] = set()
        self.held: list[Call] = []

    # --- server ------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner, self.port = await serve_locally(app)

    async def stop(self) -> None:
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params = await _params(request)
        if method in self.holding:
            self.held.append(Call(method, params))
            self._new_call.set()
            await asyncio.Event().wait()  # until the bot gives up or the fake stops
        status = 500
        try:
            response = await self._answer(method, params)
            status = response.status
            return response
        finally:
            if method != "getUpdates":
                self.calls.append(Call(method, params, status))
                self._new_call.set()

    async def _answer(self, method: str, params: dict[str, Any]) -> web.Response:
        problem = self._check(method, params)
        if problem:
            self.refusals.append(f"{method}: {problem}")
            return _error(400, f"Bad Request: {problem}")
        queued = self.faults.get(method)
        if queued:
            fault = queued.pop(0)
            self.fault_counts[fault.status] = self.fault_counts.get(fault.status, 0) + 1
            return _error(fault.status, fault.description, fault.retry_after)
        return web.json_response({"ok": True, "result": await self._result(method, params)})

    # --- spec checks -------------------------------------------------------------------------

    def _check(self, method: str, params: dict[str, Any]) -> str | None:
        spec = self.spec["methods"].get(method)
        if spec is None:
            return f"method {method} does not exist"
        fields = {f["name"]: f for f in spec.get("fields", [])}
        for name in params:
            if name not in fields:
                return f"unknown parameter {name}"
        for name, description in fields.items():
            if description["required"] and name not in params:
                return f"parameter {name} is required"
            if name in params:
                problem = self._check_value(params[name], description, name)
                if problem:
                    return problem
        return None

    def _check_value(self, value: Any, description: dict[str, Any], path: str) -> str | None:
        text = description.get("description", "")
        types: list[str] = description.get("types", [])
        if isinstance(value, Upload):
            if "InputFile" not in types:
                return f"{path} does not take a file upload"
            return _check_photo(value, path) if path == "photo" else None
        if isinstance(value, str):
            limit = _LIMIT.search(text)
            if limit:
                low, high, unit = int(limit.group(1)), int(limit.group(2)), limit.group(3)
                size = len(value.encode()) if unit == "bytes" else len(value)
                if not low <= size <= high:
                    return f"{path} must be {low}-{high} {unit}, got {size}"
        if isinstance(value, list):
            count = _COUNT.search(text)
            if count and not int(count.group(1)) <= len(value) <= int(count.group(2)):
                return f"{path} must have {count.group(1)}-{count.group(2)} items"
            inner_types = [t.removeprefix("Array of ") for t in types if t.startswith("Array of")]
            for index, item in enumerate(value):
                problem = self._check_value(
                    item, {"types": inner_types, "description": ""}, f"{path}[{index}]"
                )
                if problem:
                    return problem
        if isinstance(value, dict):
            object_types = [t for t in types if t in self.spec["types"]]
            if object_types:
                return min(
                    (self._check_object(value, t, path) for t in object_types),
                    key=lambda problem: problem is not None,
                )
        return None

    def _check_object(self, value: dict[str, Any], type_name: str, path: str) -> str | None:
        fields = {f["name"]: f for f in self.spec["types"][type_name].get("fields", [])}
        for name in value:
            if name not in fields:
                return f"{path}: {type_name} has no field {name}"
        for name, description in fields.items():
            if description["required"] and name not in value:
                return f"{path}: {type_name}.{name} is required"
            if name in value:
                problem = self._check_value(value[name], description, f"{path}.{name}")
                if problem:
                    return problem
        return None

    # --- results -----------------------------------------------------------------------------

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Revision",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "getUpdates":
            return await self._get_updates(params)
        if method in {"sendMessage", "editMessageText"}:
            return self._message(params, text=params.get("text", ""))
        if method == "sendPhoto":
            photo = params["photo"]
            width, height = _image_size(photo.data) if isinstance(photo, Upload) else (1, 1)
            sizes = [
                {
                    "file_id": f"photo-{next(self._ids)}",
                    "file_unique_id": f"unique-{next(self._ids)}",
                    "width": width,
                    "height": height,
                }
            ]
            return self._message(params, photo=sizes, caption=params.get("caption"))
        if method == "sendPoll":
            options = params["options"]
            self.poll_ids.append(f"poll-{next(self._ids)}")
            poll = {
                "id": self.poll_ids[-1],
                "question": params["question"],
                "options": [
                    {"persistent_id": str(i), "text": o["text"], "voter_count": 0}
                    for i, o in enumerate(options)
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": params.get("is_anonymous", True),
                "type": params.get("type", "regular"),
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
                "correct_option_ids": params.get("correct_option_ids"),
            }
            return self._message(params, poll=poll)
        if method in {"setMyCommands", "deleteWebhook", "setWebhook", "answerCallbackQuery"}:
            if method == "setWebhook" and "allowed_updates" in params:
                self.allowed_updates = params["allowed_updates"]
            return True
        if method in {"close", "logOut"}:
            return True
        raise web.HTTPNotImplemented(text=f"the fake does not implement {method}")

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        chat = (
            {"id": chat_id, "type": "private", "first_name": "Person"}
            if chat_id > 0
            else {"id": chat_id, "type": "group", "title": "Group"}
        )
        message_id = int(params.get("message_id") or next(self._ids))
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Revision"},
        }
        message.update({k: v for k, v in content.items() if v is not None})
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if "allowed_updates" in params:
            self.allowed_updates = params["allowed_updates"]
        self.polled.set()
        offset = int(params.get("offset", 0))
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + float(params.get("timeout", 0))
        while True:
            ready = [u for u in self._updates if self._allowed(u)]
            if ready or time.monotonic() >= deadline:
                return ready[: int(params.get("limit", 100))]
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())

    def _allowed(self, update: dict[str, Any]) -> bool:
        kinds = [k for k in update if k != "update_id"]
        return not self.allowed_updates or any(k in self.allowed_updates for k in kinds)

    # --- what tests use ----------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        retry_after: int | None = None,
        count: int = 1,
    ) -> None:
        self.faults.setdefault(method, []).extend(
            Fault(status, description, retry_after) for _ in range(count)
        )

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._new_update.set()
        return update

    def update_json(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """An update not queued for getUpdates (for the webhook)."""
        return {"update_id": next(self._update_ids), kind: payload}

    def message(
        self, user: dict[str, Any], text: str, chat: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        chat = chat or private_chat(user)
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return message

    def send_text(
        self, user: dict[str, Any], text: str, chat: dict[str, Any] | None = None
    ) -> None:
        self.push({"message": self.message(user, text, chat)})

    def answer_poll(self, poll_id: str, user: dict[str, Any], option: int) -> None:
        self.push(
            {
                "poll_answer": {
                    "poll_id": poll_id,
                    "user": user,
                    "option_ids": [option],
                    "option_persistent_ids": [str(option)],
                }
            }
        )

    def press(self, user: dict[str, Any], message: dict[str, Any], data: str) -> None:
        self.push(
            {
                "callback_query": {
                    "id": str(next(self._ids)),
                    "from": user,
                    "message": message,
                    "chat_instance": "ci-1",
                    "data": data,
                }
            }
        )

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10) -> list[Call]:
        """The calls of `method` once there are at least `count` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls if c.method == method]
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [c.method for c in self.calls]
                raise AssertionError(
                    f"expected {count} {method} call(s); got {seen}; {self.refusals}"
                )
            self._new_call.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_call.wait(), remaining)

    def sent(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]


def user(user_id: int, first_name: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name}


def private_chat(of: dict[str, Any]) -> dict[str, Any]:
    return {"id": of["id"], "type": "private", "first_name": of["first_name"]}


def group_chat(chat_id: int = -100500, title: str = "Django study group") -> dict[str, Any]:
    return {"id": chat_id, "type": "group", "title": title}


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


async def _params(request: web.Request) -> dict[str, Any]:
    """python-telegram-bot posts form fields whose complex values are JSON."""
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = Upload(value.filename, value.content_type, value.file.read())
            continue
        text = str(value)
        try:
            params[key] = (
                json.loads(text) if text[:1] in "[{" or text in {"true", "false"} else text
            )
        except json.JSONDecodeError:
            params[key] = text
    return params


# sendPhoto: "The photo must be at most 10 MB in size. The photo's width and height must not
# exceed 10000 in total. Width and height ratio must be at most 20."
_PHOTO_BYTES = 10 * 1024 * 1024


def _check_photo(photo: Upload, path: str) -> str | None:
    if len(photo.data) > _PHOTO_BYTES:
        return f"{path} is {len(photo.data)} bytes; at most 10 MB"
    try:
        width, height = _image_size(photo.data)
    except OSError:
        return f"{path} is not an image"
    if width + height > 10_000:
        return f"{path} is {width}x{height}; width and height must not exceed 10000 in total"
    if max(width, height) > 20 * min(width, height):
        return f"{path} is {width}x{height}; the ratio must be at most 20"
    return None


def _image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size
