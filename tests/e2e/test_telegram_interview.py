"""Mock interviews on Telegram: the real python-telegram-bot application against the local fake
Bot API, the round ticker as the server runs it, and the clock in the test's hands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram_transport import build_application
from bot.core.catalog import Catalog
from bot.core.handler import Core
from bot.core.interview_service import InterviewService
from bot.core.srs import make_scheduler
from bot.server import BotServer
from bot.store.models import InterviewAnswer
from tests.fakes.telegram_api import FakeTelegram, group_chat, private_chat, user

ADA, BOB, CY = user(111, "Ada"), user(222, "Bob"), user(333, "Cy")


async def start_bot(core: Core, fake: FakeTelegram) -> BotServer:
    adapter = TelegramAdapter(core, build_application(fake.token, fake.base_url), poll_timeout=1)
    rounds = InterviewService(core.db, core.catalog, make_scheduler(fuzzing=False), core.clock)
    server = BotServer(core, [adapter], rounds=rounds)
    await server.start()
    return server


@pytest.fixture
async def bot(core, telegram) -> AsyncIterator[BotServer]:
    server = await start_bot(core, telegram)
    yield server
    await server.stop()


async def tick(server: BotServer) -> None:
    """A tick of the round ticker now (the server's own also runs every 2 s)."""
    assert server.round_ticker is not None
    await server.round_ticker.tick()


async def answers_recorded(db, count: int) -> None:
    async with asyncio.timeout(10):
        while True:
            with db.read_session() as session:
                if session.scalar(select(func.count()).select_from(InterviewAnswer)) >= count:
                    return
            await asyncio.sleep(0.02)


def texts(telegram: FakeTelegram) -> list[str]:
    return [params["text"] for params in telegram.sent("sendMessage")]


def buttons(params: dict) -> list[tuple[str, str]]:
    rows = params["reply_markup"]["inline_keyboard"]
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def message(params: dict, message_id: int) -> dict:
    return {
        "message_id": message_id,
        "date": 1_700_000_000,
        "chat": private_chat(ADA),
        "text": params.get("text", ""),
    }


async def test_a_mock_interview_plays_to_its_scorecard_with_a_timeout(bot, telegram, clock):
    telegram.send_text(ADA, "/interview 3 gil")
    (poll,) = await telegram.wait_for("sendPoll")
    assert poll.params["type"] == "quiz" and int(poll.params["open_period"]) == 60
    assert "explanation" not in poll.params  # the why waits for the scorecard
    intro, header = texts(telegram)
    assert "<b>Mock interview</b>: 3 questions, 60 s each" in intro
    assert "question 1 of 3 · 60 s, until 09:01:00 UTC" in header

    clock.advance(seconds=8)
    telegram.answer_poll(telegram.poll_ids[-1], ADA, poll.params["correct_option_ids"][0])
    second = (await telegram.wait_for("sendPoll", 2))[-1]
    assert second.params["question"] == "Do threads help an I/O-bound program?"
    assert not any("Right" in text or "Wrong" in text for text in texts(telegram))

    clock.advance(seconds=61)  # no answer: the ticker times it out and asks the card
    await tick(bot)
    card = (await telegram.wait_for("sendMessage", 4))[-1]
    assert "When does a thread release the GIL?" in card.params["text"]
    ((label, reveal),) = buttons(card.params)
    assert label == "Show answer"

    clock.advance(seconds=15)
    telegram.press(ADA, message(card.params, 901), reveal)
    (edit,) = await telegram.wait_for("editMessageText")
    good = dict(buttons(edit.params))["Good"]
    telegram.press(ADA, message(edit.params, 901), good)
    edits = await telegram.wait_for("editMessageText", 2)
    assert "You rated it <b>Good</b> (answer shown after 15 s)" in edits[-1].params["text"]
    scorecard = (await telegram.wait_for("sendMessage", 5))[-1]
    text = scorecard.params["text"]
    assert "<b>Mock interview: 2 of 3 right</b> (67%)" in text
    assert "1. ✅ The GIL (mid) · 8 s" in text
    assert "2. ⏱ The GIL (senior) · timed out" in text
    assert "3. ✅ The GIL (mid) · rated Good · 15 s" in text
    assert "Yes, the GIL is released while waiting" in text
    assert [label for label, _ in buttons(scorecard.params)] == ["Study The GIL"]


async def test_a_card_whose_time_is_up_loses_its_buttons(bot, telegram, clock):
    telegram.send_text(ADA, "/interview 3 gil")
    for count in (1, 2):  # both polls run out of time; Telegram closes them itself
        await telegram.wait_for("sendPoll", count)
        clock.advance(seconds=61)
        await tick(bot)
    card = next(c for c in reversed(telegram.calls) if c.method == "sendMessage")
    assert "When does a thread release the GIL?" in card.params["text"]

    await asyncio.sleep(0.3)  # the card's link rides along, or goes alone after 0.2 s
    clock.advance(seconds=61)
    await tick(bot)
    (closed,) = await telegram.wait_for("editMessageText")
    assert closed.params["chat_id"] in (ADA["id"], str(ADA["id"]))
    assert "When does a thread release the GIL?" in closed.params["text"]
    assert "Time's up (60 s)" in closed.params["text"]
    assert "reply_markup" not in closed.params


async def test_stop_ends_the_round_with_a_partial_scorecard(bot, telegram, clock):
    telegram.send_text(ADA, "/interview gil")
    await telegram.wait_for("sendPoll")
    clock.advance(seconds=4)
    telegram.answer_poll(telegram.poll_ids[-1], ADA, 0)
    await telegram.wait_for("sendPoll", 2)
    telegram.send_text(ADA, "/interview stop")
    scorecard = (await telegram.wait_for("sendMessage", 4))[-1]
    assert (
        "0 of 1 right</b> (0%), stopped early after 1 of 3 questions" in (scorecard.params["text"])
    )
    assert "<b>Answer:</b> One thread running bytecode at a time." in scorecard.params["text"]


async def test_a_round_survives_a_restart_and_a_deadline_passed_while_down_times_out(
    core, db, telegram, clock
):
    server = await start_bot(core, telegram)
    telegram.send_text(ADA, "/interview 2 gil")
    await telegram.wait_for("sendPoll")
    await server.stop()

    clock.advance(seconds=90)  # the first question's minute passes while the bot is down
    restarted = Core(db, Catalog(), clock=clock, scheduler=make_scheduler(fuzzing=False))
    await restarted.load_topics()
    server = await start_bot(restarted, telegram)
    try:
        second = (await telegram.wait_for("sendPoll", 2))[-1]  # the first tick, at start
        assert second.params["question"] == "Do threads help an I/O-bound program?"
        clock.advance(seconds=10)
        telegram.answer_poll(telegram.poll_ids[-1], ADA, second.params["correct_option_ids"][0])
        scorecard = (await telegram.wait_for("sendMessage", 4))[-1]
        assert "<b>Mock interview: 1 of 2 right</b>" in scorecard.params["text"]
        assert "1. ⏱ The GIL (mid) · timed out" in scorecard.params["text"]
        assert "2. ✅ The GIL (senior) · 10 s" in scorecard.params["text"]
    finally:
        await server.stop()


async def test_a_group_round_with_three_members_ends_with_the_right_leaderboard(
    bot, telegram, clock, db
):
    group = group_chat()
    telegram.send_text(ADA, "/interview@revision_test_bot 2 gil", group)
    (poll,) = await telegram.wait_for("sendPoll")
    assert int(poll.params["chat_id"]) == group["id"] and int(poll.params["open_period"]) == 30
    right = poll.params["correct_option_ids"][0]
    first = telegram.poll_ids[-1]
    clock.advance(seconds=4)
    telegram.answer_poll(first, BOB, right)
    await answers_recorded(db, 1)
    clock.advance(seconds=3)
    telegram.answer_poll(first, ADA, right)
    telegram.answer_poll(first, CY, (right + 1) % 3)
    await answers_recorded(db, 3)

    clock.advance(seconds=30)
    await tick(bot)
    second = (await telegram.wait_for("sendPoll", 2))[-1]
    right = second.params["correct_option_ids"][0]
    clock.advance(seconds=2)
    telegram.answer_poll(telegram.poll_ids[-1], CY, right)
    telegram.answer_poll(telegram.poll_ids[-1], ADA, right)
    await answers_recorded(db, 5)
    clock.advance(seconds=30)
    await tick(bot)

    board = (await telegram.wait_for("sendMessage", 4))[-1]
    assert int(board.params["chat_id"]) == group["id"]
    assert board.params["text"].splitlines()[2:5] == [
        "1. Ada: 2 right, 9 s",
        "2. Bob: 1 right, 4 s",
        "3. Cy: 1 right, 9 s",
    ]
    assert not any(int(p["chat_id"]) > 0 for p in telegram.sent("sendMessage"))  # no verdicts
    telegram.send_text(BOB, "/leaderboard", group)
    weekly = (await telegram.wait_for("sendMessage", 5))[-1]
    assert "1. Ada: 2" in weekly.params["text"]
