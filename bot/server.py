"""The bot's one process: an aiohttp server, the platform adapters and the daily ticker,
all on one asyncio loop."""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import os
import signal
from collections.abc import Sequence

from aiohttp import web

from bot.adapters.base import Adapter, DeliveryFailed
from bot.config import Settings
from bot.core.daily_service import DailyService
from bot.core.handler import Core
from bot.core.interview_service import InterviewService
from bot.core.outbox import Outbox, Outgoing
from bot.errors import StartupError
from bot.metrics import Metrics
from bot.scheduler import DailyTicker, RoundTicker

__all__ = ["BotServer", "build_adapters", "serve"]

log = logging.getLogger(__name__)


_OUTBOX_SENDERS = 20


def build_adapters(settings: Settings, core: Core, metrics: Metrics | None) -> list[Adapter]:
    adapters: list[Adapter] = []
    if settings.telegram_enabled:
        from bot.adapters.telegram import TelegramAdapter

        adapters.append(TelegramAdapter.from_settings(settings, core, metrics))
    if settings.slack_enabled:
        from bot.adapters.slack import SlackAdapter

        adapters.append(SlackAdapter.from_settings(settings, core, metrics))
    return adapters


class BotServer:
    """Starts and stops, in order: the HTTP server, the adapters, the daily and interview
    tickers and the outbox senders."""

    def __init__(
        self,
        core: Core,
        adapters: Sequence[Adapter],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        daily: DailyService | None = None,
        tick_seconds: int = 60,
        outbox: Outbox | None = None,
        metrics: Metrics | None = None,
        rounds: InterviewService | None = None,
        round_tick_seconds: float = 2,
    ) -> None:
        self.core = core
        self.adapters = list(adapters)
        self._by_platform = {a.platform: a for a in self.adapters}
        self.ticker = (
            DailyTicker(
                core, daily, self._by_platform, interval_seconds=tick_seconds, metrics=metrics
            )
            if daily is not None
            else None
        )
        self.round_ticker = (
            RoundTicker(rounds, self._by_platform, round_tick_seconds)
            if rounds is not None
            else None
        )
        self.outbox = outbox
        self.metrics = metrics
        self.host = host
        self.requested_port = port
        self.port = port
        self.web_app = web.Application()
        self.web_app.router.add_get("/healthz", self._healthz)
        self.web_app.router.add_get("/metrics", self._metrics)
        for adapter in self.adapters:
            self.web_app.add_routes(adapter.routes())
        self._runner: web.AppRunner | None = None
        self._senders: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._runner = web.AppRunner(self.web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.requested_port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            self._runner = None
            reason = "is already in use" if error.errno == errno.EADDRINUSE else "cannot be used"
            raise StartupError(
                f"PORT: {self.requested_port} on {self.host} {reason} "
                f"({os.strerror(error.errno) if error.errno else error}); "
                "set PORT (and HOST) to a free address, or stop what is listening there"
            ) from None
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        for adapter in self.adapters:
            await adapter.start()
        if self.ticker is not None:
            self.ticker.start()
        if self.round_ticker is not None:
            self.round_ticker.start()
        if self.outbox is not None:
            self._senders = [
                asyncio.create_task(self._send_outbox(self.outbox)) for _ in range(_OUTBOX_SENDERS)
            ]
        # Everything loaded by now (the bank, the catalog, the libraries) lives as long as the
        # server: kept out of the collector's full passes, which otherwise walk all of it again
        # every few thousand updates (benchmarks/telegram_updates.py: 0.57 s of a 5-second run
        # without this, 0.14 s with it).
        gc.collect()
        gc.freeze()
        log.info(
            "listening on %s:%s with %s",
            self.host,
            self.port,
            ", ".join(a.platform for a in self.adapters) or "no platform",
        )

    async def stop(self) -> None:
        if self.ticker is not None:
            self.ticker.shutdown()
        if self.round_ticker is not None:
            self.round_ticker.shutdown()
        if self.outbox is not None and self._senders:
            try:
                await asyncio.wait_for(self.outbox.join(), timeout=10)
            except TimeoutError:
                log.warning("stopping with broadcast messages still unsent")
        for task in self._senders:
            task.cancel()
        await asyncio.gather(*self._senders, return_exceptions=True)
        for adapter in reversed(self.adapters):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping %s failed", adapter.platform)
        # After the adapters: updates they finished while stopping mark their replies sent.
        await self.core.close()
        gc.unfreeze()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _send_outbox(self, outbox: Outbox) -> None:
        """Deliver what the core posted for other chats, through each adapter's rate limits."""
        while True:
            outgoing = await outbox.next()
            try:
                await self._deliver(outgoing)
            finally:
                outbox.done()

    async def _deliver(self, outgoing: Outgoing) -> None:
        adapter = self._by_platform.get(outgoing.platform)
        if adapter is None:
            log.warning("no %s adapter: message to %s dropped", outgoing.platform, outgoing.chat_id)
            return
        try:
            await adapter.deliver(outgoing.chat_id, outgoing.replies)
        except DeliveryFailed as failure:
            log.warning(
                "delivery to %s:%s failed: %s", outgoing.platform, outgoing.chat_id, failure
            )
        except Exception:
            log.exception("delivery to %s:%s failed", outgoing.platform, outgoing.chat_id)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def _metrics(self, _request: web.Request) -> web.Response:
        if self.metrics is None:
            return web.Response(status=404, text="metrics are off")
        return web.Response(body=self.metrics.render(), content_type="text/plain")

    async def _healthz(self, _request: web.Request) -> web.Response:
        if await self.core.healthy():
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "database unavailable"}, status=503)


async def serve(
    settings: Settings,
    core: Core,
    daily: DailyService,
    outbox: Outbox,
    metrics: Metrics | None,
    rounds: InterviewService | None = None,
) -> None:
    """Run until SIGTERM or SIGINT, then finish in-flight work and return."""
    server = BotServer(
        core,
        build_adapters(settings, core, metrics),
        settings.host,
        settings.port,
        daily=daily,
        tick_seconds=settings.daily_tick_seconds,
        outbox=outbox,
        metrics=metrics,
        rounds=rounds,
        round_tick_seconds=settings.interview_tick_seconds,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # Starting may wait on an unreachable platform (retrying); a stop request ends the wait.
    starting = asyncio.create_task(server.start())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()  # a StartupError goes to the caller as one line
            await stopping
    finally:
        if starting.done() and not starting.cancelled() and starting.exception() is None:
            log.info("stopping")
        for task in (starting, stopping):
            task.cancel()
        await asyncio.gather(starting, stopping, return_exceptions=True)
        await server.stop()
