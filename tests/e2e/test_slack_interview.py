"""Mock interviews on Slack: the real slack-bolt app on the bot's HTTP server, driven by signed
requests, talking to the local fake Web API; the round ticker as the server runs it, and the
clock in the test's hands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.adapters.slack import SlackAdapter, build_client
from bot.core.catalog import Catalog
from bot.core.handler import Core
from bot.core.interview_service import InterviewService
from bot.core.srs import make_scheduler
from bot.server import BotServer
from tests.fakes.slack_api import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlackApi,
    Posted,
    SlackSender,
    SlackUser,
    texts,
)

ADA, BOB, CY = SlackUser("U0ADA", "ada"), SlackUser("U0BOB", "bob"), SlackUser("U0CY", "cy")
ADA_DM = "D0ADA"
CHANNEL = "C0GENERAL"


async def start_bot(core: Core, slack: FakeSlackApi) -> BotServer:
    adapter = SlackAdapter(core, build_client(BOT_TOKEN, slack.base_url), SIGNING_SECRET)
    rounds = InterviewService(core.db, core.catalog, make_scheduler(fuzzing=False), core.clock)
    server = BotServer(core, [adapter], rounds=rounds)
    await server.start()
    return server


@pytest.fixture
async def bot(core, slack) -> AsyncIterator[BotServer]:
    server = await start_bot(core, slack)
    yield server
    await server.stop()


@pytest.fixture
def sender(bot, slack) -> SlackSender:
    return SlackSender(bot.url, slack)


def buttons(posted: Posted) -> dict[str, str]:
    return {
        e["text"]["text"]: e["value"]
        for b in posted.blocks
        if b["type"] == "actions"
        for e in b["elements"]
    }


def posted(slack: FakeSlackApi, index: int = -1) -> Posted:
    call = slack.sent("chat.postMessage")[index]
    ts = next(ts for ts, p in slack.messages.items() if p.blocks == call.params["blocks"])
    return slack.messages[ts]


async def next_post(slack: FakeSlackApi, count: int) -> Posted:
    await slack.wait_for("chat.postMessage", count)
    return posted(slack, count - 1)


async def links_written() -> None:
    """A posted question's link to its ask rides along with the next transaction, or is
    written alone after a short pause: wait for that pause."""
    await asyncio.sleep(0.4)


def right_option(question: Posted) -> str:
    answers = {
        "What does the GIL allow?": "One thread running bytecode at a time",
        "Do threads help an I/O-bound program?": "Yes, the GIL is released while waiting",
        "What does the broker do?": "Carries task messages to workers",
    }
    wanted = next(a for q, a in answers.items() if q in texts(question.blocks))
    return next(value for label, value in buttons(question).items() if wanted in label)


async def test_a_mock_interview_in_a_dm_plays_to_its_scorecard(bot, sender, slack, clock):
    await sender.command(ADA, ADA_DM, "/interview", "3 gil")
    await slack.wait_for("chat.postMessage", 2)
    assert "*Mock interview*: 3 questions, 60 s each" in texts(posted(slack, 0).blocks)
    first = posted(slack, 1)
    assert "question 1 of 3 · 60 s, until 09:01:00 UTC" in texts(first.blocks)

    clock.advance(seconds=8)
    await sender.click(ADA, first, right_option(first))
    second = await next_post(slack, 3)
    (closed,) = await slack.wait_for("chat.update")
    assert closed.params["ts"] == first.ts
    assert "Answered in 8 s." in texts(first.blocks) and buttons(first) == {}
    assert "What does the GIL allow?" in texts(first.blocks)
    assert "Right" not in texts(first.blocks)

    await links_written()
    clock.advance(seconds=61)
    assert bot.round_ticker is not None
    await bot.round_ticker.tick()
    card = await next_post(slack, 4)
    assert "⏱ Time's up (60 s)." in texts(second.blocks) and buttons(second) == {}
    assert "When does a thread release the GIL?" in texts(card.blocks)

    clock.advance(seconds=20)
    await sender.click(ADA, card, buttons(card)["Show answer"])
    await slack.wait_for("chat.update", 3)
    await sender.click(ADA, card, buttons(card)["Good"])
    scorecard = await next_post(slack, 5)
    text = texts(scorecard.blocks)
    assert "*Mock interview: 2 of 3 right* (67%)" in text
    assert "2. ⏱ The GIL (senior) · timed out" in text
    assert "3. ✅ The GIL (mid) · rated Good · 20 s" in text
    assert list(buttons(scorecard)) == ["Study The GIL"]
    assert "You rated it *Good*" in texts(card.blocks)


async def test_stop_in_a_dm_closes_the_question_and_sends_a_partial_scorecard(
    bot, sender, slack, clock
):
    await sender.command(ADA, ADA_DM, "/interview", "gil")
    first = await next_post(slack, 2)
    await links_written()
    await sender.command(ADA, ADA_DM, "/interview", "stop")
    scorecard = await next_post(slack, 3)
    assert "no question was answered" in texts(scorecard.blocks)
    await slack.wait_for("chat.update")
    assert "This round is over." in texts(first.blocks) and buttons(first) == {}


async def test_a_round_survives_a_restart_mid_round(core, db, slack, clock):
    server = await start_bot(core, slack)
    sender = SlackSender(server.url, slack)
    await sender.command(ADA, ADA_DM, "/interview", "2 gil")
    first = await next_post(slack, 2)
    await links_written()
    await server.stop()

    clock.advance(seconds=75)  # its minute passes while the bot is down
    restarted = Core(db, Catalog(), clock=clock, scheduler=make_scheduler(fuzzing=False))
    await restarted.load_topics()
    server = await start_bot(restarted, slack)
    sender = SlackSender(server.url, slack)
    try:
        second = await next_post(slack, 3)  # the first tick, at start
        assert "⏱ Time's up (60 s)." in texts(first.blocks)
        clock.advance(seconds=6)
        await sender.click(ADA, second, right_option(second))
        scorecard = await next_post(slack, 4)
        text = texts(scorecard.blocks)
        assert "*Mock interview: 1 of 2 right*" in text
        assert "1. ⏱ The GIL (mid) · timed out" in text and "2. ✅ The GIL (senior) · 6 s" in text
    finally:
        await server.stop()


async def test_a_channel_round_with_three_members_ends_with_the_right_leaderboard(
    bot, sender, slack, clock
):
    await sender.command(ADA, CHANNEL, "/interview", "2 gil")
    first = await next_post(slack, 2)
    assert "Quiz round · question 1 of 2 · 30 s" in texts(first.blocks)
    right = right_option(first)
    wrong = next(v for v in buttons(first).values() if v != right)
    clock.advance(seconds=4)
    await sender.click(BOB, first, right)
    await slack.wait_for("chat.update")
    clock.advance(seconds=3)
    await sender.click(ADA, first, right)
    await sender.click(CY, first, wrong)
    await slack.wait_for("chat.update", 3)
    assert "3 answers so far" in texts(first.blocks)
    assert slack.sent("chat.postEphemeral") == []  # no verdicts during the round

    clock.advance(seconds=30)
    await bot.round_ticker.tick()
    second = await next_post(slack, 3)
    assert "⏱ Time's up: 3 answers." in texts(first.blocks)
    clock.advance(seconds=2)
    await sender.click(CY, second, right_option(second))
    await sender.click(ADA, second, right_option(second))
    await slack.wait_for("chat.update", 5)
    clock.advance(seconds=30)
    await bot.round_ticker.tick()
    board = await next_post(slack, 4)
    assert board.channel == CHANNEL
    assert texts(board.blocks).splitlines()[2:5] == [
        "1. ada: 2 right, 9 s",
        "2. bob: 1 right, 4 s",
        "3. cy: 1 right, 9 s",
    ]
    verdicts = await slack.wait_for("chat.postEphemeral", 3)  # each member's, at the end
    by_user = {call.params["user"]: texts(call.params["blocks"]) for call in verdicts}
    assert set(by_user) == {ADA.id, BOB.id, CY.id}
    assert "*Your round: 1 of 2 right*" in by_user[CY.id]
    assert "*Answer:* One thread running bytecode at a time" in by_user[CY.id]
