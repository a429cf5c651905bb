"""`revision-bot run` as an operator starts it: long polling, a clean stop, no secret in logs."""

from __future__ import annotations

import asyncio

from tests.conftest import FIXTURE_CONTENT
from tests.e2e.bot_process import BotProcess
from tests.fakes.telegram_api import FakeTelegram, user


async def test_polling_bot_answers_and_stops_cleanly_on_sigterm(db, database_url, tmp_path):
    telegram = FakeTelegram()
    await telegram.start()
    bot = BotProcess(
        {
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_URL": telegram.base_url,
            "HOST": "127.0.0.1",
            "PORT": "0",
            "CONTENT_DIR": str(FIXTURE_CONTENT),
            "LOG_LEVEL": "DEBUG",
            "HOME": str(tmp_path),
        },
        tmp_path,
    )
    try:
        await bot.start()
        await asyncio.wait_for(telegram.polled.wait(), 20)
        telegram.send_text(user(5, "Ada"), "/help")
        (reply,) = await telegram.wait_for("sendMessage", timeout=20)
        assert "Commands" in reply.params["text"]
        assert await bot.terminate() == 0
    finally:
        await telegram.stop()
    log = "".join(bot.log)
    assert "TEST-TOKEN" not in log, "the bot token leaked into the logs"
    assert "started (polling)" in log
    assert telegram.refusals == []
