"""`revision-bot run` as an operator starts it: long polling, a clean stop, no secret in logs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conftest import FIXTURE_CONTENT
from tests.e2e.bot_process import BotProcess
from tests.fakes.telegram_api import FakeTelegram, user


def operator_env(database_url: str, home: Path, **platform: str) -> dict[str, str]:
    """What an operator sets: the database, a free port, the content, plus the platforms'."""
    return {
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": "0",
        "CONTENT_DIR": str(FIXTURE_CONTENT),
        "LOG_LEVEL": "DEBUG",
        "HOME": str(home),
        **platform,
    }


async def test_polling_bot_answers_and_stops_cleanly_on_sigterm(db, database_url, tmp_path):
    telegram = FakeTelegram()
    await telegram.start()
    bot = BotProcess(
        operator_env(
            database_url,
            tmp_path,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_URL=telegram.base_url,
        ),
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


async def test_telegram_and_slack_run_side_by_side_in_one_process(db, database_url, tmp_path):
    from tests.fakes.slack_api import (
        BOT_TOKEN,
        SIGNING_SECRET,
        FakeSlackApi,
        SlackSender,
        SlackUser,
    )

    telegram, slack = FakeTelegram(), FakeSlackApi()
    await telegram.start()
    await slack.start()
    bot = BotProcess(
        operator_env(
            database_url,
            tmp_path,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_URL=telegram.base_url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.base_url,
        ),
        tmp_path,
    )
    try:
        await bot.start()
        await asyncio.wait_for(telegram.polled.wait(), 20)
        telegram.send_text(user(5, "Ada"), "/help")
        response = await SlackSender(bot.url, slack).command(
            SlackUser("U0ADA", "ada"), "D0ADA", "/explain", "gil"
        )
        assert response.status == 200
        (telegram_reply,) = await telegram.wait_for("sendMessage", timeout=20)
        (slack_reply,) = await slack.wait_for("chat.postMessage", timeout=20)
        assert "Commands" in telegram_reply.params["text"]
        assert slack_reply.params["channel"] == "D0ADA"
        assert await bot.terminate() == 0
    finally:
        await telegram.stop()
        await slack.stop()
    log = "".join(bot.log)
    assert BOT_TOKEN not in log and SIGNING_SECRET not in log, "a Slack secret leaked into the logs"
    assert "Slack app started (/slack/events)" in log
    assert telegram.refusals == [] and slack.refusals == []
