"""The bot's HTTP client for the Bot API fails the way python-telegram-bot expects, so that the
limiter's retries and the adapters' error handling see TimedOut and NetworkError."""

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.adapters.telegram_http import AiohttpRequest, KeptUpdatesRequest


@asynccontextmanager
async def serving(handler, request: AiohttpRequest) -> AsyncIterator[str]:
    """A local Bot API answering every method with `handler`, and the request initialized for
    it; yields the API's address. Both are closed afterwards."""
    app = web.Application()
    app.router.add_post("/{method}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    await request.initialize()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await request.shutdown()
        await runner.cleanup()


def _data(**values) -> RequestData:
    return RequestData([RequestParameter.from_input(name, value) for name, value in values.items()])


async def test_parameters_go_as_one_json_document():
    seen = {}

    async def handler(request: web.Request) -> web.Response:
        seen["type"] = request.content_type
        seen["body"] = await request.json()
        return web.json_response({"ok": True, "result": True})

    request = AiohttpRequest(connections=2)
    async with serving(handler, request) as url:
        status, body = await request.do_request(
            f"{url}/sendMessage", "POST", _data(chat_id=7, text="hi", reply_markup={"a": [1]})
        )
    assert (status, json.loads(body)) == (200, {"ok": True, "result": True})
    assert seen == {
        "type": "application/json",
        "body": {"chat_id": 7, "text": "hi", "reply_markup": {"a": [1]}},
    }


async def test_a_slow_answer_is_a_timeout():
    async def handler(_request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True})

    request = AiohttpRequest(connections=2, read_timeout=0.2)
    async with serving(handler, request) as url:
        with pytest.raises(TimedOut):
            await request.do_request(f"{url}/getMe", "POST")


async def test_nobody_listening_is_a_network_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    request = AiohttpRequest(connections=2)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.do_request(f"http://127.0.0.1:{port}/getMe", "POST")
    finally:
        await request.shutdown()


async def test_get_updates_keeps_each_update_as_telegram_sent_it():
    # A field this version of python-telegram-bot does not know stays in what the inbox stores.
    sent = [
        {"update_id": 7, "message": {"message_id": 1, "date": 0, "text": "hi", "new_field": [1]}},
        {"update_id": 8, "poll_answer": {"poll_id": "p", "option_ids": [0]}},
    ]

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": sent})

    request = KeptUpdatesRequest()
    async with serving(handler, request) as url:
        result = await request.post(f"{url}/getUpdates", _data(timeout=0))

    assert result == sent
    assert request.received(7) == sent[0]
    assert request.received(8) == sent[1]
    assert request.received(9) is None
