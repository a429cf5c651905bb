"""One learner on Telegram and Slack: the real adapters of both platforms on one bot server,
each against its local fake over HTTP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.adapters.slack import SlackAdapter, build_client
from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram_transport import build_application
from bot.server import BotServer
from tests.e2e.test_slack import answer_gil_question, texts
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi, SlackSender, SlackUser
from tests.fakes.telegram_api import FakeTelegram, user

ADA_ON_TELEGRAM = user(111, "Ada")
ADA_ON_SLACK = SlackUser("U0ADA", "ada")
BOB_ON_SLACK = SlackUser("U0BOB", "bob")
CODE = re.compile(r"/link ([A-Z0-9]{4}-[A-Z0-9]{4})")


@pytest.fixture
async def bot(core, telegram, slack) -> AsyncIterator[BotServer]:
    adapters = [
        TelegramAdapter(core, build_application(telegram.token, telegram.base_url), poll_timeout=1),
        SlackAdapter(core, build_client(BOT_TOKEN, slack.base_url), SIGNING_SECRET),
    ]
    server = BotServer(core, adapters)
    await server.start()
    yield server
    await server.stop()


async def telegram_says(telegram: FakeTelegram, text: str) -> str:
    before = len(telegram.sent("sendMessage"))
    telegram.send_text(ADA_ON_TELEGRAM, text)
    replies = await telegram.wait_for("sendMessage", before + 1)
    return replies[-1].params["text"]


async def slack_says(sender: SlackSender, slack: FakeSlackApi, who, command: str, text="") -> str:
    before = len(slack.sent("chat.postMessage"))
    await sender.command(who, f"D{who.id}", command, text)
    replies = await slack.wait_for("chat.postMessage", before + 1)
    return texts(replies[-1].params["blocks"])


async def test_progress_answered_on_telegram_and_slack_is_one(bot, telegram, slack):
    sender = SlackSender(bot.url, slack)
    telegram.send_text(ADA_ON_TELEGRAM, "/quiz gil")
    (poll,) = await telegram.wait_for("sendPoll")
    telegram.answer_poll(
        telegram.poll_ids[-1], ADA_ON_TELEGRAM, poll.params["correct_option_ids"][0]
    )
    await telegram.wait_for("sendMessage")

    code = CODE.search(await telegram_says(telegram, "/link"))
    assert code, "the /link reply carries a code"
    linked = await slack_says(sender, slack, ADA_ON_SLACK, "/link", code.group(1))
    assert "Linked" in linked and "Telegram and Slack" in linked

    await answer_gil_question(sender, slack, ADA_ON_SLACK, f"D{ADA_ON_SLACK.id}", right=False)
    await slack.wait_for("chat.update")  # the verdict

    on_slack = await slack_says(sender, slack, ADA_ON_SLACK, "/stats")
    telegram.send_text(ADA_ON_TELEGRAM, "/stats")
    (photo,) = await telegram.wait_for("sendPhoto")
    on_telegram = photo.params["caption"]
    for shown in (on_slack, on_telegram):
        assert "Answered: 2" in shown and "of 2 choice questions" in shown
        assert "Streak: 1 day" in shown

    spent = await slack_says(sender, slack, BOB_ON_SLACK, "/link", code.group(1))
    assert "does not work" in spent
