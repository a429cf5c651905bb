"""Two `revision-bot run` processes on one database, both ticking mock interview deadlines:
a question whose time is up is timed out once, and a round ends with one scorecard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import update

from bot.store.models import Interview
from tests.conftest import FIXTURE_CONTENT
from tests.e2e.bot_process import BotProcess
from tests.fakes.telegram_api import FakeTelegram, user

ADA = user(111, "Ada")
SECRET = "two-process-secret"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()
    assert fake.refusals == []


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
        "INTERVIEW_TICK_SECONDS": "0.2",
        "LOG_LEVEL": "INFO",
        "HOME": str(tmp_path),
    }
    bots = [BotProcess(env, tmp_path), BotProcess(env, tmp_path)]
    await asyncio.gather(*(bot.start() for bot in bots))
    yield bots
    codes = await asyncio.gather(*(bot.terminate() for bot in bots))
    assert codes == [0, 0], "".join(bots[0].log + bots[1].log)


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
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with http.post(f"{first.url}/telegram/hook", json=start, headers=headers) as sent:
            assert sent.status == 200
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
