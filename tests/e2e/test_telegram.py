"""The real python-telegram-bot application against a local fake Bot API, over HTTP."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select

from bot.adapters.telegram import ALLOWED_UPDATES, TelegramAdapter
from bot.adapters.telegram_transport import build_application
from bot.core import actions
from bot.server import BotServer
from bot.store.models import InboxUpdate
from tests.fakes.telegram_api import FakeTelegram, group_chat, private_chat, user

ADA = user(111, "Ada")
BOB = user(222, "Bob")


async def start_bot(core, fake: FakeTelegram, **adapter_args) -> BotServer:
    application = build_application(fake.token, fake.base_url)
    adapter = TelegramAdapter(core, application, poll_timeout=1, **adapter_args)
    server = BotServer(core, [adapter])
    await server.start()
    return server


@pytest.fixture
async def bot(core, telegram) -> AsyncIterator[BotServer]:
    server = await start_bot(core, telegram)
    yield server
    await server.stop()


async def test_start_registers_commands_and_polls_for_polls_and_buttons(bot, telegram):
    (commands,) = await telegram.wait_for("setMyCommands")
    names = [c["command"] for c in commands.params["commands"]]
    assert names[:4] == ["start", "help", "quiz", "explain"]
    assert "reload" not in names
    await asyncio.wait_for(telegram.polled.wait(), 5)
    assert telegram.allowed_updates == ALLOWED_UPDATES


async def test_private_quiz_is_a_native_quiz_poll_answered_right(bot, telegram):
    telegram.send_text(ADA, "/quiz gil")
    (poll,) = await telegram.wait_for("sendPoll")
    assert poll.params["type"] == "quiz"
    assert poll.params["is_anonymous"] is False
    assert poll.params["question"] == "What does the GIL allow?"
    right = poll.params["correct_option_ids"][0]
    assert poll.params["options"][right]["text"] == "One thread running bytecode at a time"
    assert poll.params["explanation"].startswith("It is a single lock per interpreter")

    telegram.answer_poll(await poll_id(telegram), ADA, right)
    (verdict,) = await telegram.wait_for("sendMessage")
    assert int(verdict.params["chat_id"]) == ADA["id"]
    assert "<b>Right!</b>" in verdict.params["text"]
    assert "comes back in 10 minutes" in verdict.params["text"]
    labels = [b["text"] for row in verdict.params["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Next question", "Explain The GIL"]


async def test_private_quiz_answered_wrong_says_wrong(bot, telegram):
    telegram.send_text(ADA, "/quiz gil")
    await telegram.wait_for("sendPoll")
    telegram.answer_poll(await poll_id(telegram), ADA, 0)
    (verdict,) = await telegram.wait_for("sendMessage")
    assert "<b>Wrong.</b>" in verdict.params["text"]
    assert "One thread running bytecode at a time" in verdict.params["text"]


async def test_an_update_is_stored_as_telegram_sent_it(bot, telegram, db):
    # A field python-telegram-bot does not know is kept: the inbox holds Telegram's JSON, not
    # a copy rebuilt from PTB's objects.
    sent = telegram.push({"message": {**telegram.message(ADA, "/help"), "new_field": {"a": 1}}})
    await telegram.wait_for("sendMessage")

    def stored(session):
        return session.scalars(select(InboxUpdate.payload)).all()

    assert [json.loads(payload) for payload in await db.read(stored)] == [sent]


async def test_card_buttons_edit_the_message_in_place(bot, telegram, core):
    for _ in range(2):  # the GIL's two choice questions come before its card
        telegram.send_text(ADA, "/quiz gil")
        polls = await telegram.wait_for("sendPoll", len(telegram.sent("sendPoll")) + 1)
        telegram.answer_poll(
            await poll_id(telegram), ADA, polls[-1].params["correct_option_ids"][0]
        )
        await telegram.wait_for("sendMessage", len(polls))
    telegram.send_text(ADA, "/quiz gil")
    card = (await telegram.wait_for("sendMessage", 3))[-1]
    assert "When does a thread release the GIL?" in card.params["text"]
    (show,) = card.params["reply_markup"]["inline_keyboard"][0]
    assert show["text"] == "Show answer" and len(show["callback_data"].encode()) <= 64

    card_message = sent_message(card.params, message_id=77)
    telegram.press(ADA, card_message, show["callback_data"])
    (edit,) = await telegram.wait_for("editMessageText")
    assert int(edit.params["message_id"]) == 77 and "switch interval" in edit.params["text"]
    ratings = [b["text"] for row in edit.params["reply_markup"]["inline_keyboard"] for b in row]
    assert ratings == ["Again", "Hard", "Good", "Easy"]
    good = edit.params["reply_markup"]["inline_keyboard"][0][2]["callback_data"]

    telegram.press(ADA, card_message, good)
    edits = await telegram.wait_for("editMessageText", 2)
    assert "You rated it <b>Good</b>" in edits[1].params["text"]
    assert len(await telegram.wait_for("answerCallbackQuery", 2)) == 2


async def test_someone_elses_button_is_refused_politely(bot, telegram):
    telegram.send_text(ADA, "/quiz celery")
    await telegram.wait_for("sendPoll")
    ask_id = 1
    telegram.press(BOB, sent_message({"chat_id": BOB["id"], "text": "x"}), actions.reveal(ask_id))
    (reply,) = await telegram.wait_for("sendMessage")
    assert "not for you" in reply.params["text"]
    await telegram.wait_for("answerCallbackQuery")


async def test_explain_is_escaped_html_split_under_the_limit_with_see_also(bot, telegram):
    telegram.send_text(ADA, "/explain globel interpreter lock")
    (message,) = await telegram.wait_for("sendMessage")
    text = message.params["text"]
    assert message.params["parse_mode"] == "HTML"
    assert text.startswith("<b>The GIL</b>")
    assert "<code>&lt;threads&gt;</code> &amp; I/O" in text
    labels = [b["text"] for row in message.params["reply_markup"]["inline_keyboard"] for b in row]
    assert "See also: Celery" in labels


async def test_long_explanation_is_split_on_paragraphs(core, db, telegram):
    from bot.store.models import Topic

    with db.write_session() as session:
        topic = session.get(Topic, "celery")
        topic.explanation = "\n\n".join(f"Paragraph {n}: " + "word " * 150 for n in range(12))
        topic.references = []
    await core.load_topics()
    server = await start_bot(core, telegram)
    try:
        telegram.send_text(ADA, "/explain celery")
        messages = await telegram.wait_for("sendMessage", 3)
    finally:
        await server.stop()
    assert all(len(m.params["text"]) <= 4096 for m in messages)
    assert all(m.params["text"].rstrip().endswith("word") for m in messages)
    assert "reply_markup" in messages[-1].params and "reply_markup" not in messages[0].params


async def reviews_recorded(db, count: int) -> None:
    """Updates are handled concurrently: wait until the answers are in, as a person would."""
    from sqlalchemy import func, select

    from bot.store.models import Review

    async with asyncio.timeout(5):
        while True:
            with db.read_session() as session:
                if session.scalar(select(func.count()).select_from(Review)) >= count:
                    return
            await asyncio.sleep(0.02)


async def test_stats_sends_picture_on_telegram(bot, telegram, db):
    telegram.send_text(ADA, "/quiz gil")
    (poll,) = await telegram.wait_for("sendPoll")
    telegram.answer_poll(await poll_id(telegram), ADA, poll.params["correct_option_ids"][0])
    await reviews_recorded(db, 1)
    telegram.send_text(ADA, "/stats")
    (photo,) = await telegram.wait_for("sendPhoto")
    assert int(photo.params["chat_id"]) == ADA["id"]
    assert photo.params["parse_mode"] == "HTML"
    assert "<b>Your progress</b>" in photo.params["caption"]
    assert "Answered: 1" in photo.params["caption"]
    labels = [b["text"] for row in photo.params["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Start a quiz"]
    upload = photo.params["photo"]
    assert upload.filename == "progress.png"
    with Image.open(io.BytesIO(upload.data)) as picture:
        assert (picture.format, picture.size) == ("PNG", (1200, 1500))
        assert picture.info["Description"].startswith("Last 12 weeks: 1 answer on 1 day.")
    # The numbers are the caption: no separate text message for /stats.
    assert len(telegram.sent("sendMessage")) == 1  # the verdict of the answer


async def test_stats_too_long_for_a_caption_sends_text_then_picture(bot, telegram, db):
    from datetime import UTC, date, datetime

    from bot.store.models import Person, Question, Review, Topic

    telegram.send_text(ADA, "/stats")  # meets Ada
    await telegram.wait_for("sendPhoto")
    with db.write_session() as session:
        ada = session.query(Person).filter_by(platform_id=str(ADA["id"])).one()
        for topic in session.query(Topic):
            # Each & is five characters of HTML: two such weak topics overflow a caption.
            topic.title = (topic.title + " " + "& " * 90)[:200]
        choices = session.query(Question).filter_by(kind="choice").all()
        for question in choices * 2:  # a topic is weak from two answers on
            moment = datetime(2026, 3, 1, 9, tzinfo=UTC)
            session.add(
                Review(
                    person_id=ada.id,
                    question_id=question.id,
                    rating=1,
                    correct=False,
                    reviewed_at=moment,
                    local_date=date(2026, 3, 1),
                )
            )
    telegram.send_text(ADA, "/stats")
    photos = await telegram.wait_for("sendPhoto", 2)
    (text,) = telegram.sent("sendMessage")
    assert len(text["text"]) > 1024 and text["text"].startswith("<b>Your progress</b>")
    assert "caption" not in photos[-1].params
    assert [c.method for c in telegram.calls][-2:] == ["sendMessage", "sendPhoto"]


async def test_group_quiz_grades_every_member_and_ranks_them(bot, telegram, db):
    group = group_chat()
    telegram.send_text(ADA, "/quiz@revision_test_bot gil", group)
    (poll,) = await telegram.wait_for("sendPoll")
    assert int(poll.params["chat_id"]) == group["id"] and poll.params["is_anonymous"] is False
    right = poll.params["correct_option_ids"][0]
    pid = await poll_id(telegram)
    telegram.answer_poll(pid, ADA, right)
    telegram.answer_poll(pid, BOB, (right + 1) % 3)
    await reviews_recorded(db, 2)
    telegram.send_text(BOB, "/leaderboard", group)
    (board,) = await telegram.wait_for("sendMessage")
    assert int(board.params["chat_id"]) == group["id"]
    assert "1. Ada: 1" in board.params["text"] and "Bob" not in board.params["text"]


async def test_group_ignores_chatter_and_other_bots_commands(bot, telegram):
    group = group_chat()
    telegram.send_text(ADA, "hello everyone", group)
    telegram.send_text(ADA, "/quiz@some_other_bot", group)
    telegram.send_text(ADA, "/help", group)
    (only,) = await telegram.wait_for("sendMessage")
    assert "Commands" in only.params["text"]
    await asyncio.sleep(0)  # nothing else was queued behind it
    assert len(telegram.sent("sendMessage")) == 1 and telegram.sent("sendPoll") == []


async def test_rate_limit_is_waited_out_and_the_message_still_goes(bot, telegram):
    telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    telegram.send_text(ADA, "/help")
    messages = await telegram.wait_for("sendMessage", 2)
    assert "Commands" in messages[-1].params["text"]
    assert telegram.fault_counts == {429: 1}


async def test_server_errors_are_retried(bot, telegram):
    telegram.fail_next("sendMessage", 502, "Bad Gateway", count=2)
    telegram.send_text(ADA, "/help")
    messages = await telegram.wait_for("sendMessage", 3)
    assert "Commands" in messages[-1].params["text"]


async def test_blocked_bot_pauses_the_chat_without_retrying(bot, telegram, core, db):
    from bot.store.models import Chat, Subscription

    telegram.send_text(ADA, "/help")
    await telegram.wait_for("sendMessage")
    with db.write_session() as session:
        chat = (session.execute(Chat.__table__.select())).first()
        session.add(
            Subscription(
                chat_id=chat.id,
                person_id=1,
                hour=7,
                minute=30,
                timezone="UTC",
                active=True,
                next_push_at=core.clock(),
                created_at=core.clock(),
            )
        )
    telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user", count=5)
    telegram.send_text(ADA, "/help")
    await telegram.wait_for("sendMessage", 2)
    for _ in range(50):
        with db.read_session() as session:
            sub = (session.execute(Subscription.__table__.select())).first()
        if not sub.active:
            break
        await asyncio.sleep(0.02)
    assert not sub.active and "blocked" in sub.paused_reason
    assert telegram.fault_counts == {403: 1}


async def test_restart_between_poll_and_answer_still_grades(core, telegram):
    server = await start_bot(core, telegram)
    telegram.send_text(ADA, "/quiz gil")
    (poll,) = await telegram.wait_for("sendPoll")
    pid = await poll_id(telegram)
    await server.stop()

    server = await start_bot(core, telegram)
    try:
        telegram.answer_poll(pid, ADA, poll.params["correct_option_ids"][0])
        (verdict,) = await telegram.wait_for("sendMessage")
    finally:
        await server.stop()
    assert "Right!" in verdict.params["text"]


async def test_webhook_accepts_the_right_secret_and_refuses_others(core, telegram):
    server = await start_bot(
        core, telegram, webhook_url="https://bot.example/telegram/hook", webhook_secret="s3cret"
    )
    try:
        (hook,) = await telegram.wait_for("setWebhook")
        assert hook.params["secret_token"] == "s3cret"
        assert hook.params["allowed_updates"] == ALLOWED_UPDATES
        update = telegram.update_json("message", telegram.message(ADA, "/help"))
        async with aiohttp.ClientSession() as http:
            url = f"{server.url}/telegram/hook"
            wrong = await http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "no"}
            )
            missing = await http.post(url, json=update)
            right = await http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
            )
        assert (wrong.status, missing.status, right.status) == (403, 403, 200)
        (message,) = await telegram.wait_for("sendMessage")
        assert "Commands" in message.params["text"]
    finally:
        await server.stop()
    assert len(telegram.sent("sendMessage")) == 1


async def poll_id(telegram: FakeTelegram) -> str:
    """The id the fake gave the last poll (what poll_answer updates carry)."""
    return telegram.poll_ids[-1]


def sent_message(params: dict, message_id: int = 5) -> dict:
    return {
        "message_id": message_id,
        "date": 1_700_000_000,
        "chat": private_chat(ADA) if int(params["chat_id"]) == ADA["id"] else private_chat(BOB),
        "text": params.get("text", ""),
    }


async def test_daily_question_arrives_once_as_a_quiz_poll(core, clock, telegram):
    from datetime import UTC, datetime

    from tests.conftest import daily_ticker

    clock.set(datetime(2026, 3, 2, 5, 0, tzinfo=UTC))
    server = await start_bot(core, telegram)
    try:
        telegram.send_text(ADA, "/daily 07:30 Europe/Berlin")
        (confirmation,) = await telegram.wait_for("sendMessage")
        assert "07:30 Europe/Berlin" in confirmation.params["text"]
        ticker = daily_ticker(core, {"telegram": server.adapters[0]})
        clock.set(datetime(2026, 3, 2, 6, 30, tzinfo=UTC))
        assert (await ticker.tick()).sent == 1
        clock.set(datetime(2026, 3, 2, 6, 31, tzinfo=UTC))
        assert (await ticker.tick()).sent == 0
    finally:
        await server.stop()
    (header, _confirmation) = telegram.sent("sendMessage")[::-1]
    assert "Your daily question" in header["text"] and "streak" in header["text"]
    (poll,) = telegram.sent("sendPoll")
    assert int(poll["chat_id"]) == ADA["id"] and poll["type"] == "quiz"


async def test_paid_broadcast_marks_daily_pushes_but_not_replies(core, clock, telegram):
    from datetime import UTC, datetime

    from tests.conftest import daily_ticker

    clock.set(datetime(2026, 3, 2, 5, 0, tzinfo=UTC))
    application = build_application(telegram.token, telegram.base_url)
    adapter = TelegramAdapter(core, application, poll_timeout=1, paid_broadcast=True)
    server = BotServer(core, [adapter])
    await server.start()
    try:
        telegram.send_text(ADA, "/daily 07:30 UTC")
        await telegram.wait_for("sendMessage")
        clock.set(datetime(2026, 3, 2, 7, 30, tzinfo=UTC))
        assert (await daily_ticker(core, {"telegram": adapter}).tick()).sent == 1
    finally:
        await server.stop()
    confirmation, header = telegram.sent("sendMessage")
    (poll,) = telegram.sent("sendPoll")
    assert "allow_paid_broadcast" not in confirmation
    assert header["allow_paid_broadcast"] in (True, "true") and poll["allow_paid_broadcast"] in (
        True,
        "true",
    )


async def test_daily_push_to_a_blocked_chat_pauses_it(core, clock, telegram, db):
    from datetime import UTC, datetime

    from bot.store.models import Subscription
    from tests.conftest import daily_ticker

    clock.set(datetime(2026, 3, 2, 5, 0, tzinfo=UTC))
    server = await start_bot(core, telegram)
    try:
        telegram.send_text(ADA, "/daily 07:30 UTC")
        await telegram.wait_for("sendMessage")
        telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
        ticker = daily_ticker(core, {"telegram": server.adapters[0]})
        clock.set(datetime(2026, 3, 2, 7, 30, tzinfo=UTC))
        assert (await ticker.tick()).failed == 1
    finally:
        await server.stop()
    with db.read_session() as session:
        (subscription,) = (session.execute(Subscription.__table__.select())).all()
    assert not subscription.active and "blocked" in subscription.paused_reason


async def test_a_failing_telegram_during_a_daily_fan_out_delays_pushes_but_loses_none(
    core, clock, telegram
):
    from datetime import UTC, datetime

    from tests.conftest import daily_ticker

    people = [user(7000 + n, f"P{n}") for n in range(6)]
    clock.set(datetime(2026, 3, 2, 5, 0, tzinfo=UTC))
    server = await start_bot(core, telegram)
    try:
        for person in people:
            telegram.send_text(person, "/daily 07:30 UTC")
        await telegram.wait_for("sendMessage", len(people))
        ticker = daily_ticker(core, {"telegram": server.adapters[0]})
        # Telegram answers 502 to every try of the first pushes, retries included.
        telegram.fail_next("sendPoll", 502, "Bad Gateway", count=4 * len(people))
        clock.set(datetime(2026, 3, 2, 7, 30, tzinfo=UTC))
        first = await ticker.tick()
        assert first.retrying > 0 and first.failed == 0
        for minute in range(31, 40):
            clock.set(datetime(2026, 3, 2, 7, minute, tzinfo=UTC))
            await ticker.tick()
    finally:
        await server.stop()
    delivered = [c for c in telegram.calls if c.method == "sendPoll" and c.status == 200]
    pushed = [int(call.params["chat_id"]) for call in delivered]
    assert sorted(pushed) == sorted(person["id"] for person in people), "one push each"


async def test_an_error_in_one_update_gets_an_apology_and_the_bot_goes_on(bot, telegram):
    telegram.fail_next("sendPoll", 400, "Bad Request: something Telegram did not like")
    telegram.send_text(ADA, "/quiz")
    (apology,) = await telegram.wait_for("sendMessage")
    assert apology.params["text"].startswith("Sorry, something went wrong on my side")
    assert len(telegram.sent("sendPoll")) == 1  # a bad request is not retried
    telegram.send_text(ADA, "/help")
    messages = await telegram.wait_for("sendMessage", 2)
    assert "Commands" in messages[-1].params["text"]


def _updates() -> st.SearchStrategy[dict]:
    """Updates as Telegram could send them, with optional fields left out or of odd values."""
    people = st.fixed_dictionaries(
        {"id": st.integers(1, 2**40), "is_bot": st.booleans(), "first_name": st.text(max_size=30)},
        optional={"last_name": st.text(max_size=30), "username": st.text(max_size=30)},
    )
    chats = st.fixed_dictionaries(
        {"id": st.integers(-(2**40), 2**40), "type": st.sampled_from(["private", "group", "x"])},
        optional={"title": st.text(max_size=30)},
    )
    message = st.fixed_dictionaries(
        {"message_id": st.integers(1, 2**31), "date": st.integers(0, 2**31), "chat": chats},
        optional={
            "from": people,
            "text": st.text(max_size=300) | st.sampled_from(["/quiz", "/explain gil", "/"]),
        },
    )
    callback = st.fixed_dictionaries(
        {"id": st.text(min_size=1, max_size=10), "from": people, "chat_instance": st.just("c")},
        optional={"data": st.text(max_size=70), "message": message},
    )
    answer = st.fixed_dictionaries(
        {"poll_id": st.text(max_size=20), "option_ids": st.lists(st.integers(-3, 20), max_size=3)},
        optional={"user": people},
    )
    kinds = st.one_of(
        st.fixed_dictionaries({"message": message}),
        st.fixed_dictionaries({"callback_query": callback}),
        st.fixed_dictionaries({"poll_answer": answer}),
        st.just({}),
    )
    return st.builds(lambda n, kind: {"update_id": n, **kind}, st.integers(1, 2**31), kinds)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(update=_updates() | st.text(max_size=100))
async def test_any_webhook_update_is_answered_without_a_server_error(webhook_bot, update):
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            f"{webhook_bot.url}/telegram/hook",
            data=json.dumps(update) if isinstance(update, dict) else update,
            headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"},
        )
    assert response.status in (200, 400)


@pytest.fixture
async def webhook_bot(core, telegram) -> AsyncIterator[BotServer]:
    server = await start_bot(
        core, telegram, webhook_url="https://bot.example/telegram/hook", webhook_secret="s3cret"
    )
    yield server
    await server.stop()
