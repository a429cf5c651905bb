"""Slack slash commands per second through the full bot, against a bare slack-bolt app.

Both apps run in this process on the same aiohttp server code path (`POST /slack/events`) and talk
to the same fake Slack Web API (tests/fakes/slack_api.FakeSlackApi, which checks every call
against the published description). The fake and the load generator run in a child process, so
that signing requests and checking calls do not take the measured bot's CPU.

- full bot: BotServer + SlackAdapter + the core on a fresh SQLite file and the real bank;
  each request is `/explain <query>` (topic names and aliases, some with typos) from one of
  `--people` people (100) in their DMs; the bot acks, handles it and posts the explanation.
- bare bolt app: an AsyncApp whose command listener acks and posts one message.

The clock runs from the first request sent to the last chat.postMessage the fake receives.

    uv run python benchmarks/slack_events.py [--commands 1000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp

from benchmarks._support import bench_database, machine_reference, open_core, peak_rss_mb
from bot.adapters.slack import SlackAdapter, build_client
from bot.server import BotServer
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi, SlackSender, SlackUser

QUERIES = (
    "gil",
    "what is the gil?",
    "celery beat",
    "celry retries",
    "annotate vs aggregate",
    "docker compose",
    "wsgi vs asgi",
    "redis persistence",
    "drf serializers",
    "nginx gunicorn",
    "method decorators",
    "elasticsearch",
)


@dataclass(frozen=True)
class Run:
    commands: int
    seconds: float
    posted: int

    @property
    def rate(self) -> float:
        return self.commands / self.seconds


# --- the child process: the fake Web API and the load generator -------------------------------


PEOPLE = 100  # distinct people sending the commands


def _child(bot_port: int, commands: int, concurrency: int, seed: int, pipe: Any) -> None:
    async def main() -> None:
        fake = FakeSlackApi()
        await fake.start()
        pipe.send(fake.base_url)
        # the bot is up (it calls auth.test while starting: keep serving meanwhile)
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        sender = SlackSender(f"http://127.0.0.1:{bot_port}", fake)
        rng = random.Random(seed)
        work = [
            (SlackUser(f"U{n % PEOPLE:05d}", f"person{n % PEOPLE}"), rng.choice(QUERIES))
            for n in range(commands)
        ]
        queue: asyncio.Queue[tuple[SlackUser, str]] = asyncio.Queue()
        for item in work:
            queue.put_nowait(item)

        async def worker() -> None:
            while not queue.empty():
                user, query = queue.get_nowait()
                response = await sender.command(user, f"D{user.id}", "/explain", query)
                assert response.status == 200, response.status

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        await fake.wait_for("chat.postMessage", commands, timeout=600)
        last = max(call.at for call in fake.sent("chat.postMessage"))
        pipe.send((last - started, len(fake.sent("chat.postMessage")), fake.refusals[:3]))
        await fake.stop()

    asyncio.run(main())


async def _drive(bot_port: int, commands: int, concurrency: int, seed: int, ready: Any) -> Run:
    parent, child = multiprocessing.get_context("spawn").Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_child, args=(bot_port, commands, concurrency, seed, child), daemon=True
    )
    process.start()
    loop = asyncio.get_running_loop()
    api_url = await loop.run_in_executor(None, parent.recv)
    await ready(api_url)
    parent.send("go")
    seconds, posted, refusals = await loop.run_in_executor(None, parent.recv)
    process.join(timeout=10)
    if refusals:
        raise SystemExit(f"the fake Slack refused calls: {refusals}")
    return Run(commands, seconds, posted)


# --- the two apps -----------------------------------------------------------------------------


async def full_bot(commands: int, concurrency: int, seed: int) -> Run:
    async with bench_database(None) as url:
        core, db = await open_core(url)
        server: BotServer | None = None
        port = _free_port()

        async def ready(api_url: str) -> None:
            nonlocal server
            adapter = SlackAdapter(core, build_client(BOT_TOKEN, api_url), SIGNING_SECRET)
            server = BotServer(core, [adapter], port=port)
            await server.start()

        try:
            return await _drive(port, commands, concurrency, seed, ready)
        finally:
            if server is not None:
                await server.stop()
            await core.close()
            await db.dispose()


async def bare_bolt(commands: int, concurrency: int, seed: int) -> Run:
    port = _free_port()
    runner: web.AppRunner | None = None

    async def ready(api_url: str) -> None:
        nonlocal runner
        app = AsyncApp(client=build_client(BOT_TOKEN, api_url), signing_secret=SIGNING_SECRET)

        @app.command("/explain")
        async def explain(ack: Any, body: dict[str, Any], client: Any) -> None:
            await ack()
            await client.chat_postMessage(channel=body["channel_id"], text=body["text"])

        async def events(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await app.async_dispatch(await to_bolt_request(request))
            )

        web_app = web.Application()
        web_app.router.add_post("/slack/events", events)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    try:
        return await _drive(port, commands, concurrency, seed, ready)
    finally:
        if runner is not None:
            await runner.cleanup()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def main_async(args: argparse.Namespace) -> None:
    print(machine_reference())
    print(
        f"Slack slash commands: {args.commands:,} signed /explain requests, "
        f"{args.concurrency} at a time"
    )
    full = await full_bot(args.commands, args.concurrency, args.seed)
    print(f"full bot: {full.rate:,.0f} commands/s ({full.posted:,} posted in {full.seconds:.2f} s)")
    bare = await bare_bolt(args.commands, args.concurrency, args.seed)
    print(
        f"bare slack-bolt app: {bare.rate:,.0f} commands/s "
        f"({bare.posted:,} posted in {bare.seconds:.2f} s)"
    )
    print(f"ratio full/bare: {full.rate / bare.rate:.2f}")
    print(f"peak memory (ru_maxrss): {peak_rss_mb():.0f} MB")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=5)
    return parser.parse_args()


def main() -> None:
    asyncio.run(main_async(parse_args()))


if __name__ == "__main__":
    main()
