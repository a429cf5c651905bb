"""python-telegram-bot's requests to the Bot API over aiohttp.

PTB's own backend is httpx, whose connection pool is scanned in full, with a readability check
of every idle connection, each time a request starts or ends. At a few messages a second that
costs nothing; in a daily fan-out of hundreds of messages a second it was the bot's ceiling
(benchmarks/daily_fanout.py: the bot's process at one CPU second per second, most of it in
httpcore's pool, the fake Telegram at a fifth of that). PTB lets a bot bring its own HTTP client
through `BaseRequest`; aiohttp is already the bot's web server.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest", "KeptUpdatesRequest"]


class AiohttpRequest(BaseRequest):
    """One aiohttp session with at most `connections` connections to the Bot API."""

    def __init__(
        self,
        *,
        connections: int,
        connect_timeout: float = 10,
        read_timeout: float = 15,
        write_timeout: float = 15,
        pool_timeout: float = 15,
    ) -> None:
        self._connections = connections
        self._timeouts = {
            "connect": connect_timeout,
            "read": read_timeout,
            "write": write_timeout,
            "pool": pool_timeout,
        }
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized")
        read = self._given(read_timeout, "read")
        write = self._given(write_timeout, "write")
        connect = self._given(connect_timeout, "connect")
        pool = self._given(pool_timeout, "pool")
        # aiohttp has no write timeout of its own: the whole request's limit allows for waiting
        # for a connection, connecting, writing and reading.
        timeout = aiohttp.ClientTimeout(
            total=_sum(pool, connect, write, read),
            connect=_sum(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, timeout=timeout, **_body(request_data)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's timeouts are asyncio.TimeoutError
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp: {error!r}") from error

    def _given(self, value: Any, name: str) -> float | None:
        if isinstance(value, type(BaseRequest.DEFAULT_NONE)):
            return self._timeouts[name]
        return value  # type: ignore[no-any-return]


def _sum(*parts: float | None) -> float | None:
    """None (no limit) if any part has none."""
    return None if any(part is None for part in parts) else sum(p for p in parts if p is not None)


def _body(request_data: RequestData | None) -> dict[str, Any]:
    """The parameters as one JSON document (the Bot API takes application/json), or, when files
    go along, as multipart form fields of JSON-encoded values, as PTB sends them."""
    if request_data is None:
        return {}
    files = request_data.multipart_data
    if not files:
        return {"json": request_data.parameters}
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return {"data": form}


class KeptUpdatesRequest(AiohttpRequest):
    """The getUpdates request, which keeps each update of its last answer as Telegram sent it.

    The inbox stores every update before Telegram is told it arrived; storing the JSON as it came
    costs a `json.dumps`, where rebuilding it from PTB's objects (`Update.to_dict`) cost a tenth
    of the bot's time per update (benchmarks/telegram_updates.py under cProfile). PTB documents
    `parse_json_payload` as the place to customise how answers are read.
    """

    def __init__(self, **timeouts: float) -> None:
        super().__init__(connections=1, **timeouts)
        self._received: dict[int, dict[str, Any]] = {}

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        parsed = BaseRequest.parse_json_payload(payload)
        result = parsed.get("result") if isinstance(parsed, dict) else None
        if isinstance(result, list):
            self._received = {
                item["update_id"]: item
                for item in result
                if isinstance(item, dict) and isinstance(item.get("update_id"), int)
            }
        return parsed

    def received(self, update_id: int) -> dict[str, Any] | None:
        """The update as the last getUpdates answer carried it, if it was there."""
        return self._received.get(update_id)
