"""FakeTelegram (tests/fakes/telegram_api.py) in a child process, with a small control API.

The fake checks every request against the Bot API spec, which costs CPU; in a process of its own
it does not slow the bot being measured. The control API queues batches of updates and reports
what arrived: replies per chat, their times (time.monotonic, which is system-wide on Linux, so
comparable with the parent's), quiz polls sent, and, when a rate limit is set, the 429s returned.
"""

from __future__ import annotations

import asyncio
import collections
import json
import multiprocessing
import socket
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.telegram_api import FakeTelegram, _error, user

__all__ = ["FakeProcess", "start_fake", "stop_fake"]

# What a bot sends to a chat (the methods Telegram's flood limits count).
MESSAGE_METHODS = frozenset({"sendMessage", "sendPoll", "editMessageText"})
REPLY_METHODS = MESSAGE_METHODS | {"answerCallbackQuery"}


class BenchTelegram(FakeTelegram):
    """FakeTelegram plus a control API and, optionally, Telegram's flood limit: a message that
    would make more than `max_per_second` messages in the last second gets a 429."""

    def __init__(self, max_per_second: int | None = None) -> None:
        super().__init__()
        self.max_per_second = max_per_second
        self.window: collections.deque[float] = collections.deque()
        self.too_many = 0
        self.reset()

    def reset(self) -> None:
        self.first_queued_at = 0.0
        self.first_reply_at = 0.0
        self.last_reply_at = 0.0
        self.replies = 0
        self.messages = 0
        self.pending: set[int] = set()  # chats still waiting for their first reply
        self.polls: dict[int, tuple[str, int, int]] = {}  # chat -> (poll id, options, right)

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_post("/control/queue", self._queue)
        app.router.add_post("/control/reset", self._reset)
        app.router.add_get("/control/state", self._state)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method in MESSAGE_METHODS and self._flooded():
            self.too_many += 1
            return _error(429, "Too Many Requests: retry after 1", retry_after=1)
        response = await super()._handle(request)
        if method in REPLY_METHODS and response.status == 200:
            self._record(method, json.loads(response.body)["result"])  # type: ignore[arg-type]
        self.calls.clear()  # nothing reads them here; keeps the fake's memory flat
        return response

    def _flooded(self) -> bool:
        if self.max_per_second is None:
            return False
        now = time.monotonic()
        while self.window and self.window[0] <= now - 1.0:
            self.window.popleft()
        if len(self.window) >= self.max_per_second:
            return True
        self.window.append(now)
        return False

    def _record(self, method: str, result: Any) -> None:
        now = time.monotonic()
        self.first_reply_at = self.first_reply_at or now
        self.last_reply_at = now
        self.replies += 1
        if method in MESSAGE_METHODS:
            self.messages += 1
        if isinstance(result, dict):
            chat = int(result["chat"]["id"])
            self.pending.discard(chat)
            poll = result.get("poll")
            if poll is not None:
                right = (poll.get("correct_option_ids") or [0])[0]
                self.polls[chat] = (poll["id"], len(poll["options"]), right)

    async def _queue(self, request: web.Request) -> web.Response:
        """Body: [{"user": id, "text": "..."} | {"user": id, "poll": id, "option": n}, ...]."""
        batch = await request.json()
        self.reset()
        self.pending = {item["user"] for item in batch}
        self.first_queued_at = time.monotonic()
        for item in batch:
            who = user(item["user"], f"User{item['user']}")
            if "poll" in item:
                self.answer_poll(item["poll"], who, item["option"])
            else:
                self.send_text(who, item["text"])
        return web.json_response({"queued": len(batch)})

    async def _reset(self, _request: web.Request) -> web.Response:
        self.reset()
        self.too_many = 0
        return web.json_response({"ok": True})

    async def _state(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "pending": len(self.pending),
                "first_queued_at": self.first_queued_at,
                "first_reply_at": self.first_reply_at,
                "last_reply_at": self.last_reply_at,
                "replies": self.replies,
                "messages": self.messages,
                "too_many": self.too_many,
                "now": time.monotonic(),
                "refusals": self.refusals[-5:],
                "refusal_count": len(self.refusals),
                "polls": {str(k): v for k, v in self.polls.items()},
            }
        )


def _serve(port: int, max_per_second: int | None) -> None:
    async def serve() -> None:
        fake = BenchTelegram(max_per_second)
        await fake.start(port)
        await asyncio.Event().wait()

    asyncio.run(serve())


@dataclass
class FakeProcess:
    process: multiprocessing.process.BaseProcess
    port: int
    token: str = FakeTelegram.token

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def control(self) -> str:
        return f"http://127.0.0.1:{self.port}/control"

    async def state(self) -> dict[str, Any]:
        async with aiohttp.ClientSession() as http, http.get(f"{self.control}/state") as response:
            return dict(await response.json())

    async def queue(self, batch: list[dict[str, Any]]) -> None:
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.control}/queue", json=batch) as response,
        ):
            response.raise_for_status()

    async def reset(self) -> None:
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.control}/reset") as response,
        ):
            response.raise_for_status()


async def start_fake(max_per_second: int | None = None) -> FakeProcess:
    port = _free_port()
    process = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(port, max_per_second), daemon=True
    )
    process.start()
    fake = FakeProcess(process, port)
    for _ in range(400):
        try:
            await fake.state()
            return fake
        except aiohttp.ClientError:
            await asyncio.sleep(0.05)
    stop_fake(fake)
    raise RuntimeError("the fake Telegram did not start")


def stop_fake(fake: FakeProcess) -> None:
    fake.process.terminate()
    fake.process.join(5)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
