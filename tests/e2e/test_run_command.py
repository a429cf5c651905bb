"""`revision-bot run` as an operator starts it: long polling, a clean stop, no secret in logs."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

from tests.conftest import FIXTURE_CONTENT
from tests.e2e.bot_process import BotProcess, run_to_exit
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


def quiet(env: dict[str, str]) -> dict[str, str]:
    """The operator's default log level (the tests' is DEBUG)."""
    return env | {"LOG_LEVEL": "INFO"}


async def failed_start(database_url: str, tmp_path: Path, **settings: str) -> str:
    """Run the bot expecting it not to start: exit code 1 and one line, which is returned."""
    code, stderr = await run_to_exit(
        quiet(operator_env(database_url, tmp_path, **settings)), tmp_path
    )
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert (code, len(lines)) == (1, 1), stderr
    return lines[0]


async def test_a_rejected_telegram_token_stops_with_one_line_naming_the_variable(
    database_url, tmp_path
):
    telegram = FakeTelegram()
    await telegram.start()
    try:
        line = await failed_start(
            database_url,
            tmp_path,
            TELEGRAM_BOT_TOKEN="111:wrong-token-value",
            TELEGRAM_API_URL=telegram.base_url,
        )
    finally:
        await telegram.stop()
    assert line.startswith("revision-bot: TELEGRAM_BOT_TOKEN: Telegram rejected the token")
    assert "wrong-token-value" not in line


async def test_a_revoked_slack_token_stops_at_start_with_one_line(database_url, tmp_path):
    from tests.fakes.slack_api import SIGNING_SECRET, FakeSlackApi

    slack = FakeSlackApi()
    await slack.start()
    try:
        line = await failed_start(
            database_url,
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-revoked-token-value",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.base_url,
        )
    finally:
        await slack.stop()
    assert line.startswith("revision-bot: SLACK_BOT_TOKEN: Slack rejected the token (invalid_auth)")
    assert "revoked-token-value" not in line


async def test_a_port_in_use_stops_with_one_line_naming_the_variable(database_url, tmp_path):
    telegram = FakeTelegram()
    await telegram.start()
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        line = await failed_start(
            database_url,
            tmp_path,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_URL=telegram.base_url,
            PORT=str(port),
        )
    finally:
        taken.close()
        await telegram.stop()
    assert line.startswith(f"revision-bot: PORT: {port} on 127.0.0.1 is already in use")


async def test_an_unreachable_telegram_is_retried_with_one_warning_per_attempt(
    database_url, tmp_path
):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    bot = BotProcess(
        operator_env(
            database_url,
            tmp_path,
            TELEGRAM_BOT_TOKEN="123:secret-while-offline",
            TELEGRAM_API_URL=f"http://127.0.0.1:{closed}/bot",
        ),
        tmp_path,
    )
    await bot.start(until=re.compile(r"attempt 2 failed"))
    assert await bot.terminate() == 0
    log = "".join(bot.log)
    assert f"cannot reach Telegram at 127.0.0.1:{closed} (NetworkError); attempt 1 failed" in log
    assert "Traceback" not in log and "secret-while-offline" not in log


async def test_start_is_quiet_about_migrations(db, database_url, tmp_path):
    telegram = FakeTelegram()
    await telegram.start()
    bot = BotProcess(
        operator_env(
            database_url,
            tmp_path,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_URL=telegram.base_url,
        )
        | {"LOG_LEVEL": "INFO"},
        tmp_path,
    )
    try:
        await bot.start()
        assert await bot.terminate() == 0
    finally:
        await telegram.stop()
    log = "".join(bot.log)
    assert "alembic" not in log and "setup plugin" not in log
