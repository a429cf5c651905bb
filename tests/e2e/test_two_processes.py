"""Two `revision-bot run` processes on one database, Telegram in webhook mode behind any load
balancer: every update handled once, every answer recorded once, every daily push sent once,
every mock interview question timed out once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import func, select, update

from bot.store.models import Ask, Chat, Delivery, Interview, Review, Subscription
from tests.conftest import FIXTURE_CONTENT
from tests.e2e.bot_process import BotProcess
from tests.fakes.telegram_api import user

ADA = user(111, "Ada")
SECRET = "two-process-secret"


@pytest.fixture
async def two_bots(db, database_url, telegram, tmp_path) -> AsyncIterator[list[BotProcess]]:
    env = {
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.base_url,
        "TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram/hook",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "HOST": "127.0.0.1",
        "PORT": "0",
        "CONTENT_DIR": str(FIXTURE_CONTENT),
        "DAILY_TICK_SECONDS": "1",
        "INTERVIEW_TICK_SECONDS": "0.2",
        "LOG_LEVEL": "INFO",
        "HOME": str(tmp_path),
    }
    bots = [BotProcess(env, tmp_path), BotProcess(env, tmp_path)]
    await asyncio.gather(*(bot.start() for bot in bots))
    yield bots
    codes = await asyncio.gather(*(bot.terminate() for bot in bots))
    assert codes == [0, 0], "".join(bots[0].log + bots[1].log)
    for bot in bots:
        assert telegram.token not in "".join(bot.log), "the token leaked into the logs"


async def post(http: aiohttp.ClientSession, bot: BotProcess, update: dict) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with http.post(f"{bot.url}/telegram/hook", json=update, headers=headers) as response:
        return response.status


async def count(db, model, *where) -> int:
    with db.read_session() as session:
        return (session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def poll_linked(db, poll_id: str) -> None:
    async with asyncio.timeout(5):
        while not await count(db, Ask, Ask.platform_ref == poll_id):
            await asyncio.sleep(0.02)


async def test_two_processes_handle_each_update_answer_and_push_once(two_bots, telegram, db):
    first, second = two_bots
    async with aiohttp.ClientSession() as http:
        quiz = telegram.update_json("message", telegram.message(ADA, "/quiz gil"))
        assert await post(http, first, quiz) == 200
        assert await post(http, second, quiz) == 200  # a redelivery, to the other process
        (poll,) = await telegram.wait_for("sendPoll")

        right = poll.params["correct_option_ids"][0]
        await poll_linked(db, telegram.poll_ids[-1])  # nobody answers within milliseconds
        answer = telegram.update_json(
            "poll_answer",
            {
                "poll_id": telegram.poll_ids[-1],
                "user": ADA,
                "option_ids": [right],
                "option_persistent_ids": [str(right)],
            },
        )
        statuses = await asyncio.gather(post(http, first, answer), post(http, second, answer))
        assert statuses == [200, 200]
        (verdict,) = await telegram.wait_for("sendMessage")
        assert "Right!" in verdict.params["text"]

        for n, bot in enumerate([first, second, first, second]):
            help_update = telegram.update_json(
                "message", telegram.message(user(300 + n, "P"), "/help")
            )
            assert await post(http, bot, help_update) == 200
        await telegram.wait_for("sendMessage", 5)

    await asyncio.sleep(0.5)  # let any duplicate show itself
    assert len(telegram.sent("sendPoll")) == 1
    assert len(telegram.sent("sendMessage")) == 5
    assert await count(db, Review) == 1

    # A daily push due now: both processes tick every second; it must arrive once.
    with db.write_session() as session:
        chat = (session.execute(select(Chat).where(Chat.platform_chat_id == "111"))).scalar_one()
        now = datetime.now(UTC)
        session.add(
            Subscription(
                chat_id=chat.id,
                person_id=1,
                hour=0,
                minute=0,
                timezone="UTC",
                active=True,
                next_push_at=now - timedelta(minutes=1),
                created_at=now,
            )
        )
    with db.write_session() as session:
        session.execute(update(Subscription).values(hour=(now.hour), minute=now.minute))
    await telegram.wait_for("sendPoll", 2, timeout=20)
    await asyncio.sleep(3)  # several more ticks of both processes
    assert len(telegram.sent("sendPoll")) == 2
    assert await count(db, Delivery, Delivery.status == "sent") == 1


def time_is_up(db) -> None:
    """The question on screen ran out of time a moment ago (instead of waiting a minute)."""
    with db.write_session() as session:
        session.execute(
            update(Interview)
            .where(Interview.deadline.is_not(None))
            .values(deadline=datetime.now(UTC) - timedelta(seconds=1))
        )


async def test_two_processes_time_each_question_out_once(two_bots, telegram, db):
    first, _second = two_bots
    start = telegram.update_json("message", telegram.message(ADA, "/interview 2 gil"))
    async with aiohttp.ClientSession() as http:
        assert await post(http, first, start) == 200
    await telegram.wait_for("sendPoll")

    time_is_up(db)
    await telegram.wait_for("sendPoll", 2)
    await asyncio.sleep(1)  # several more ticks of both processes
    assert len(telegram.sent("sendPoll")) == 2

    time_is_up(db)
    scorecard = (await telegram.wait_for("sendMessage", 4))[-1]
    assert "<b>Mock interview: 0 of 2 right</b>" in scorecard.params["text"]
    await asyncio.sleep(1)
    assert len(telegram.sent("sendPoll")) == 2
    assert len(telegram.sent("sendMessage")) == 4  # intro, two headers, one scorecard
