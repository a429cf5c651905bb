"""Telegram updates per second: the full bot against a bare python-telegram-bot echo bot.

Both bots long-poll a FakeTelegram (tests/fakes/telegram_api.py) that runs in a child process,
so the fake's own work (it checks every request against the Bot API spec) does not share the
bots' CPU. The same N updates go to each bot; the figure is N divided by the time from the
first update queued to the last reply the fake received.

- full: BotServer + TelegramAdapter over the real core, SQLite (temp file), the content/ bank.
  The mix: /quiz (some with a topic), answers to quiz polls the bot sent beforehand (the
  polls are made in an unmeasured setup phase), /explain with typos. Every update comes from a
  distinct user, so the adapter's private-chat spacing (about 1 msg/s per chat) never waits.
- echo: an Application with one MessageHandler that replies with send_message. A
  MessageHandler does not see poll answers, so the echo bot gets each poll answer as a text
  message from the same user instead.

Both applications come from bot.adapters.telegram_transport.build_application (same timeouts,
same 16 concurrent updates, same rate limiter); by default its RetryingRateLimiter with Telegram's
overall 30 msg/s and per-group caps lifted (`--limiter uncapped`), since those caps, not the
code, would set the rate. `--limiter real` keeps the caps (30 msg/s overall).

Each round runs the full bot and then the echo bot, each against a fresh fake; the machine's
speed drifts within seconds, so the figure is the median of the rounds' ratios.

    uv run python benchmarks/telegram_updates.py [--updates 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from benchmarks._fake_telegram import FakeProcess, start_fake, stop_fake
from benchmarks._support import bench_database, machine_reference, open_core, peak_rss_mb
from bot.adapters.telegram import ALLOWED_UPDATES, TelegramAdapter
from bot.adapters.telegram_transport import RetryingRateLimiter, build_application
from bot.server import BotServer

QUIZ_SHARE, ANSWER_SHARE = 0.4, 0.3  # the rest: /explain
EXPLAIN_QUERIES = (
    "gil",
    "what is the gil?",
    "globel interpreter lock",
    "celry beat",
    "celery retries",
    "asyncoi event loop",
    "threading vs multiprocessing",
    "multiprocesing",
    "reddis",
    "elastic serach",
    "dokcer multi-stage build",
    "docker compose",
    "wsgi vs asgi",
    "django orm n+1",
    "select_related vs prefetch_related",
    "what is a decorator",
    "generators",
    "rest api",
    "cpu bund vs io bund",
    "nginx gunicorn supervisor",
)
FIRST_USER = 5_000_000


# --- driving a batch ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchTiming:
    updates: int
    seconds: float
    replies: int
    refusals: int

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


async def run_batch(
    fake: FakeProcess, batch: list[dict[str, Any]], timeout: float, quiet: float = 0.3
) -> BatchTiming:
    """Queue the batch at once; done when every user got a reply and the fake went quiet."""
    await fake.queue(batch)
    deadline = time.monotonic() + timeout
    while True:
        await asyncio.sleep(0.05)
        state = await fake.state()
        if state["pending"] == 0 and state["now"] - state["last_reply_at"] >= quiet:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{state['pending']} users still without a reply: {state}")
    return BatchTiming(
        len(batch),
        state["last_reply_at"] - state["first_queued_at"],
        state["replies"],
        state["refusal_count"],
    )


async def fake_polls(fake: FakeProcess) -> dict[int, tuple[str, int, int]]:
    state = await fake.state()
    return {int(chat): tuple(poll) for chat, poll in state["polls"].items()}  # type: ignore[misc]


def make_batches(
    count: int, topics: list[str], rng: random.Random
) -> tuple[list[dict[str, Any]], list[str]]:
    """The setup batch (a /quiz for each future poll answerer) and the measured mix, as kinds:
    'quiz', 'answer' or 'explain' per measured update, in queue order."""
    kinds = rng.choices(
        ["quiz", "answer", "explain"],
        weights=[QUIZ_SHARE, ANSWER_SHARE, 1 - QUIZ_SHARE - ANSWER_SHARE],
        k=count,
    )
    answerers = [FIRST_USER + n for n, kind in enumerate(kinds) if kind == "answer"]
    setup = [{"user": uid, "text": f"/quiz {rng.choice(topics)}"} for uid in answerers]
    return setup, kinds


def measured_batch(
    kinds: list[str],
    polls: dict[int, tuple[str, int, int]],
    topics: list[str],
    rng: random.Random,
    *,
    as_text: bool,
) -> list[dict[str, Any]]:
    batch: list[dict[str, Any]] = []
    for n, kind in enumerate(kinds):
        uid = FIRST_USER + n
        if kind == "quiz":
            text = "/quiz" if rng.random() < 0.5 else f"/quiz {rng.choice(topics)}"
            batch.append({"user": uid, "text": text})
        elif kind == "explain":
            batch.append({"user": uid, "text": f"/explain {rng.choice(EXPLAIN_QUERIES)}"})
        elif uid in polls:
            poll_id, options, right = polls[uid]
            option = right if rng.random() < 0.7 else (right + 1) % options
            if as_text:
                batch.append({"user": uid, "text": str(option + 1)})
            else:
                batch.append({"user": uid, "poll": poll_id, "option": option})
        else:  # the setup /quiz got a card, not a poll: this user asks again instead
            batch.append({"user": uid, "text": "/quiz"})
    return batch


# --- the two bots ---------------------------------------------------------------------------------


def make_application(token: str, base_url: str, limiter: str) -> Application:  # type: ignore[type-arg]
    """build_application itself (the bot's timeouts, concurrency and limiter), with the overall
    cap lifted unless `limiter` is "real"."""
    if limiter == "real":
        return build_application(token, base_url, with_updater=True)
    return build_application(
        token,
        base_url,
        with_updater=True,
        rate_limiter=RetryingRateLimiter(overall_max_rate=0, group_max_rate=0),
    )


async def run_full_bot(
    fake: FakeProcess, kinds: list[str], setup: list[dict[str, Any]], args: argparse.Namespace
) -> BatchTiming:
    async with bench_database(None) as url:
        core, db = await open_core(url)
        application = make_application(fake.token, fake.base_url, args.limiter)
        server = BotServer(core, [TelegramAdapter(core, application, poll_timeout=1)])
        await server.start()
        try:
            started = time.perf_counter()
            await run_batch(fake, setup, args.timeout)
            took = time.perf_counter() - started
            print(f"    setup: {len(setup):,} /quiz to make polls ({took:.1f} s)")
            polls = await fake_polls(fake)
            topics = list(core.index.topics)
            batch = measured_batch(kinds, polls, topics, random.Random(args.seed), as_text=False)
            return await run_batch(fake, batch, args.timeout)
        finally:
            await server.stop()
            await db.dispose()


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, message.text or "ok")


async def run_echo_bot(
    fake: FakeProcess, kinds: list[str], topics: list[str], args: argparse.Namespace
) -> BatchTiming:
    application = make_application(fake.token, fake.base_url, args.limiter)
    application.add_handler(MessageHandler(filters.ALL, _echo))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(
        allowed_updates=ALLOWED_UPDATES, timeout=1, poll_interval=0
    )
    try:
        polls = {FIRST_USER + n: ("", 3, 0) for n, kind in enumerate(kinds) if kind == "answer"}
        batch = measured_batch(kinds, polls, topics, random.Random(args.seed), as_text=True)
        return await run_batch(fake, batch, args.timeout)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def with_fake(run: Callable[[FakeProcess], Awaitable[BatchTiming]]) -> BatchTiming:
    fake = await start_fake()
    try:
        return await run(fake)
    finally:
        stop_fake(fake)


# --- main -----------------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace) -> None:
    print(machine_reference())
    from bot.bank.validate import load_bank
    from bot.config import default_content_dir

    bank, _ = load_bank(default_content_dir())
    topics = [topic.id for topic in bank.topics]
    rng = random.Random(args.seed)
    setup, kinds = make_batches(args.updates, topics, rng)
    mix = {kind: kinds.count(kind) for kind in ("quiz", "answer", "explain")}
    print(
        f"Telegram updates benchmark: {args.updates:,} updates from {args.updates:,} distinct "
        f"users ({mix['quiz']} /quiz, {mix['answer']} poll answers, {mix['explain']} /explain); "
        f"polling a FakeTelegram in a child process; rate limiter: {LIMITER_NOTES[args.limiter]}"
    )
    ratios: list[float] = []
    full_rates: list[float] = []
    echo_rates: list[float] = []
    refusals = 0
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number} of {args.rounds}:")
        print("  full bot (BotServer + TelegramAdapter + core on SQLite):")
        full = await with_fake(lambda fake: run_full_bot(fake, kinds, setup, args))
        print(
            f"  full bot: {full.rate:,.0f} updates/s "
            f"({full.updates:,} updates in {full.seconds:.2f} s, {full.replies:,} replies)"
        )
        echo = await with_fake(lambda fake: run_echo_bot(fake, kinds, topics, args))
        print(
            f"  bare PTB echo bot: {echo.rate:,.0f} updates/s "
            f"({echo.updates:,} updates in {echo.seconds:.2f} s)"
        )
        print(f"  ratio full/echo: {full.rate / echo.rate:.2f}")
        ratios.append(full.rate / echo.rate)
        full_rates.append(full.rate)
        echo_rates.append(echo.rate)
        refusals += full.refusals + echo.refusals
    print(f"full bot: {statistics.median(full_rates):,.0f} updates/s (median of the rounds)")
    print(f"bare PTB echo bot: {statistics.median(echo_rates):,.0f} updates/s")
    print(
        f"ratio full/echo: {statistics.median(ratios):.2f} (median of {args.rounds} rounds: "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + ")"
    )
    if refusals:
        print(f"requests the fake refused: {refusals}")
    print(f"peak memory of the bot process (ru_maxrss): {peak_rss_mb():.0f} MB")


LIMITER_NOTES = {
    "uncapped": "RetryingRateLimiter with Telegram's 30 msg/s overall and group caps lifted, "
    "for both bots",
    "real": "build_application's RetryingRateLimiter (30 msg/s overall), for both bots",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=5_000, help="measured updates per bot")
    parser.add_argument("--limiter", choices=sorted(LIMITER_NOTES), default="uncapped")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for a batch")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="times to run both bots, back to back; the ratio is the median of the rounds'",
    )
    return parser.parse_args()


def main() -> None:
    asyncio.run(main_async(parse_args()))


if __name__ == "__main__":
    main()
