"""The bot's one process: an aiohttp server, the platform adapters and the daily ticker,
all on one asyncio loop."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence

from aiohttp import web

from bot.adapters.base import Adapter, DeliveryFailed
from bot.config import Settings
from bot.core.handler import Core
from bot.core.replies import Message
from bot.scheduler import DailyTicker
from bot.store import queries

__all__ = ["BotServer", "build_adapters", "serve"]

log = logging.getLogger(__name__)


def build_adapters(settings: Settings, core: Core) -> list[Adapter]:
    adapters: list[Adapter] = []
    if settings.telegram_enabled:
        from bot.adapters.telegram import TelegramAdapter

        adapters.append(TelegramAdapter.from_settings(settings, core))
    if settings.slack_enabled:
        from bot.adapters.slack import SlackAdapter

        adapters.append(SlackAdapter.from_settings(settings, core))
    return adapters


class BotServer:
    """Starts and stops, in order: the HTTP server, the adapters."""

    def __init__(
        self,
        core: Core,
        adapters: Sequence[Adapter],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        daily: bool = False,
        tick_seconds: int = 60,
    ) -> None:
        self.core = core
        self.adapters = list(adapters)
        by_platform = {a.platform: a for a in self.adapters}
        self.ticker = (
            DailyTicker(core, by_platform, interval_seconds=tick_seconds) if daily else None
        )
        self.host = host
        self.requested_port = port
        self.port = port
        self.web_app = web.Application()
        self.web_app.router.add_get("/healthz", self._healthz)
        self.web_app.router.add_get("/metrics", self._metrics)
        for adapter in self.adapters:
            self.web_app.add_routes(adapter.routes())
        self._runner: web.AppRunner | None = None
        self._background: set[asyncio.Task[None]] = set()
        core.broadcast = self.broadcast

    async def start(self) -> None:
        self._runner = web.AppRunner(self.web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.requested_port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        for adapter in self.adapters:
            await adapter.start()
        if self.ticker is not None:
            self.ticker.start()
        log.info(
            "listening on %s:%s with %s",
            self.host,
            self.port,
            ", ".join(a.platform for a in self.adapters) or "no platform",
        )

    async def stop(self) -> None:
        if self.ticker is not None:
            self.ticker.shutdown()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        for adapter in reversed(self.adapters):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping %s failed", adapter.platform)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def broadcast(self, text: str) -> int:
        """Send a message to every subscribed chat, through each adapter's rate limiting;
        returns at once with the number of chats, the sending goes on in the background."""
        platforms = frozenset(a.platform for a in self.adapters)
        async with self.core.db.read() as session:
            chats = await queries.active_subscription_chats(session, platforms)
        adapters = {a.platform: a for a in self.adapters}
        message = Message(text)

        async def send_all() -> None:
            semaphore = asyncio.Semaphore(20)

            async def send(platform: str, chat_id: str) -> None:
                async with semaphore:
                    try:
                        await adapters[platform].deliver(chat_id, [message])
                    except DeliveryFailed as failure:
                        log.warning("broadcast to %s:%s failed: %s", platform, chat_id, failure)

            await asyncio.gather(*(send(p, c) for p, c in chats))

        task = asyncio.create_task(send_all())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return len(chats)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def _metrics(self, _request: web.Request) -> web.Response:
        if self.core.metrics is None:
            return web.Response(status=404, text="metrics are off")
        return web.Response(body=self.core.metrics.render(), content_type="text/plain")

    async def _healthz(self, _request: web.Request) -> web.Response:
        if await self.core.db.ping():
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "database unavailable"}, status=503)


async def serve(settings: Settings, core: Core) -> None:
    """Run until SIGTERM or SIGINT, then finish in-flight work and return."""
    server = BotServer(
        core,
        build_adapters(settings, core),
        settings.host,
        settings.port,
        daily=True,
        tick_seconds=settings.daily_tick_seconds,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await server.start()
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        await server.stop()
