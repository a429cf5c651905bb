"""The real slack-bolt app on the bot's HTTP server, driven by signed requests, talking to a
local fake Slack Web API."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bot.adapters.slack import SlackAdapter, build_client
from bot.core import actions
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

ADA = SlackUser("U0ADA", "ada")
BOB = SlackUser("U0BOB", "bob")
ADA_DM = "D0ADA"
CHANNEL = "C0GENERAL"


@pytest.fixture
async def bot(core, slack) -> AsyncIterator[BotServer]:
    adapter = SlackAdapter(core, build_client(BOT_TOKEN, slack.base_url), SIGNING_SECRET)
    server = BotServer(core, [adapter])
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def sender(bot, slack) -> SlackSender:
    return SlackSender(bot.url, slack)


def posted(slack: FakeSlackApi, index: int = -1) -> Posted:
    call = slack.sent("chat.postMessage")[index]
    ts = next(ts for ts, p in slack.messages.items() if p.blocks == call.params["blocks"])
    return slack.messages[ts]


def buttons(blocks: list[dict]) -> list[tuple[str, str]]:
    return [
        (e["text"]["text"], e["value"])
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
    ]


async def ask(sender, slack, user, channel: str, topic: str = "gil") -> Posted:
    """Sends /quiz and returns the question once it is posted."""
    before = len(slack.sent("chat.postMessage"))
    await sender.command(user, channel, "/quiz", topic)
    await slack.wait_for("chat.postMessage", before + 1)
    return posted(slack)


async def answer_gil_question(sender, slack, user, channel, *, right: bool) -> Posted:
    question = await ask(sender, slack, user, channel)
    options = buttons(question.blocks)
    wanted = "One thread running bytecode at a time"
    value = next(v for label, v in options if (wanted in label) == right)
    await sender.click(user, question, value)
    return question


async def test_unsigned_or_stale_requests_are_refused_and_do_nothing(sender, slack):
    forged = await sender.post(
        "command=%2Fhelp", "application/x-www-form-urlencoded", signature="v0=deadbeef"
    )
    stale = await sender.post(
        "command=%2Fhelp", "application/x-www-form-urlencoded", timestamp=int(time.time()) - 3600
    )
    assert forged.status == 401 and stale.status == 401
    await asyncio.sleep(0.2)
    assert slack.sent("chat.postMessage") == []


async def test_help_is_acknowledged_and_answered_in_mrkdwn(sender, slack):
    response = await sender.command(ADA, ADA_DM, "/help")
    assert response.status == 200
    (message,) = await slack.wait_for("chat.postMessage")
    assert message.params["channel"] == ADA_DM
    assert "/quiz" in texts(message.params["blocks"])
    assert "**" not in texts(message.params["blocks"])


async def test_every_command_gets_an_answer(sender, slack):
    commands = [
        "/start",
        "/topics",
        "/stats",
        "/leaderboard",
        "/explain gil",
        "/quiz",
        "/daily",
        "/nonsense",
    ]
    for command in commands:
        name, _, text = command.partition(" ")
        await sender.command(ADA, ADA_DM, name, text)
    await slack.wait_for("chat.postMessage", len(commands))


async def test_dm_answer_replaces_the_question_with_the_verdict(bot, sender, slack):
    question = await answer_gil_question(sender, slack, ADA, ADA_DM, right=True)
    (update,) = await slack.wait_for("chat.update")
    assert update.params["ts"] == question.ts and update.params["channel"] == ADA_DM
    verdict = texts(update.params["blocks"])
    assert "*Right!*" in verdict and "comes back in 10 minutes" in verdict
    labels = [label for label, _ in buttons(update.params["blocks"])]
    assert labels == ["Next question", "Explain The GIL"]


async def test_dm_wrong_answer_says_wrong_and_gives_the_right_one(sender, slack):
    await answer_gil_question(sender, slack, ADA, ADA_DM, right=False)
    (update,) = await slack.wait_for("chat.update")
    verdict = texts(update.params["blocks"])
    assert "*Wrong.*" in verdict and "One thread running bytecode at a time" in verdict


async def test_double_click_is_graded_once(sender, slack, db):
    from sqlalchemy import func, select

    from bot.store.models import Review

    question = await ask(sender, slack, ADA, ADA_DM)
    value = buttons(question.blocks)[0][1]
    await asyncio.gather(sender.click(ADA, question, value), sender.click(ADA, question, value))
    await slack.wait_for("chat.update")
    await slack.wait_for("chat.postMessage", 2)  # the question, then "you already answered"
    with db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Review)) == 1
    assert "already answered" in texts(slack.sent("chat.postMessage")[-1].params["blocks"])


async def test_channel_question_is_graded_per_person_with_a_running_count(sender, slack):
    question = await ask(sender, slack, ADA, CHANNEL)
    assert question.channel == CHANNEL
    options = buttons(question.blocks)
    right = next(v for label, v in options if "One thread" in label)
    wrong = next(v for label, v in options if "One thread" not in label)

    await sender.click(ADA, question, right)
    await slack.wait_for("chat.postEphemeral")
    await slack.wait_for("chat.update")
    await sender.click(BOB, slack.messages[question.ts], wrong)
    ephemerals = await slack.wait_for("chat.postEphemeral", 2)
    updates = await slack.wait_for("chat.update", 2)

    assert [e.params["user"] for e in ephemerals] == [ADA.id, BOB.id]
    assert "*Right!*" in texts(ephemerals[0].params["blocks"])
    assert "*Wrong.*" in texts(ephemerals[1].params["blocks"])
    assert "1 answer so far" in texts(updates[0].params["blocks"])
    assert "2 answers so far" in texts(updates[1].params["blocks"])
    assert texts(updates[1].params["blocks"]).count("so far") == 1
    assert buttons(updates[1].params["blocks"]) == options  # still answerable by others

    await sender.command(BOB, CHANNEL, "/leaderboard")
    board = await slack.wait_for("chat.postMessage", 2)
    assert "1. ada: 1" in texts(board[-1].params["blocks"])


async def test_channel_without_the_bot_gets_a_friendly_ephemeral_hint(sender, slack):
    slack.not_in.add("C0ELSEWHERE")
    await sender.command(ADA, "C0ELSEWHERE", "/quiz")
    (response,) = await slack.wait_for_responses()
    assert response["response_type"] == "ephemeral" and "/invite" in response["text"]


async def test_card_reveals_then_rates_in_place(sender, slack):
    for answered in range(1, 3):  # the GIL's two choice questions come before its card
        question = await ask(sender, slack, ADA, ADA_DM)
        await sender.click(ADA, question, buttons(question.blocks)[0][1])
        await slack.wait_for("chat.update", answered)
    card = await ask(sender, slack, ADA, ADA_DM)
    assert "When does a thread release the GIL?" in texts(card.blocks)
    ((label, reveal),) = buttons(card.blocks)
    assert label == "Show answer"

    await sender.click(ADA, card, reveal)
    updates = await slack.wait_for("chat.update", 3)
    shown = slack.messages[card.ts]
    assert "switch interval" in texts(updates[-1].params["blocks"])
    ratings = buttons(shown.blocks)
    assert [label for label, _ in ratings] == ["Again", "Hard", "Good", "Easy"]

    await sender.click(ADA, shown, ratings[2][1])
    updates = await slack.wait_for("chat.update", 4)
    assert "You rated it *Good*" in texts(updates[-1].params["blocks"])


async def test_app_home_shows_progress_and_refreshes_after_an_answer(sender, slack):
    await sender.event({"type": "app_home_opened", "user": ADA.id, "tab": "home"})
    (first,) = await slack.wait_for("views.publish")
    assert first.params["user_id"] == ADA.id
    assert "not answered anything yet" in texts(first.params["view"]["blocks"])

    await answer_gil_question(sender, slack, ADA, ADA_DM, right=True)
    published = await slack.wait_for("views.publish", 2)
    home = texts(published[-1].params["view"]["blocks"])
    assert "Answered: 1" in home and "(100%)" in home


async def test_stats_sends_picture_on_slack(sender, slack):
    await answer_gil_question(sender, slack, ADA, ADA_DM, right=True)
    await sender.command(ADA, ADA_DM, "/stats")
    (announced,) = await slack.wait_for("files.getUploadURLExternal")
    assert announced.params["filename"] == "progress.png"
    assert announced.params["alt_txt"].startswith("Last 12 weeks: 1 answer on 1 day.")
    (completed,) = await slack.wait_for("files.completeUploadExternal")
    assert completed.params["channel_id"] == ADA_DM
    (upload,) = slack.uploads
    assert upload.channel == ADA_DM and upload.title == "Your progress"
    with Image.open(io.BytesIO(upload.data)) as picture:
        assert (picture.format, picture.size) == ("PNG", (1200, 1500))
        assert picture.info["Description"] == announced.params["alt_txt"]
    numbers = slack.sent("chat.postMessage")[-1]
    assert "Answered: 1" in texts(numbers.params["blocks"])
    assert slack.sent("files.upload") == []


async def test_stats_without_files_write_sends_the_numbers_and_how_to_enable_pictures(
    sender, slack
):
    slack.scopes = slack.scopes - {"files:write"}
    await sender.command(ADA, ADA_DM, "/stats")
    numbers, note = await slack.wait_for("chat.postMessage", 2)
    assert "not answered anything yet" in texts(numbers.params["blocks"])
    assert "`files:write`" in texts(note.params["blocks"])
    assert [c.method for c in slack.calls if c.method.startswith("files.")] == [
        "files.getUploadURLExternal:missing_scope"
    ]
    assert slack.uploads == []


async def test_stats_in_a_channel_keeps_the_picture_private(sender, slack):
    await sender.command(ADA, CHANNEL, "/stats")
    (numbers,) = await slack.wait_for("chat.postEphemeral")
    assert numbers.params["channel"] == CHANNEL and numbers.params["user"] == ADA.id
    await slack.wait_for("files.completeUploadExternal")
    (upload,) = slack.uploads
    assert upload.channel == "D" + ADA.id  # the person's direct message with the bot
    assert slack.sent("chat.postMessage") == []


async def test_quiz_button_on_app_home_asks_in_a_direct_message(sender, slack):
    await sender.click(ADA, None, actions.quiz(), from_home=True)
    (message,) = await slack.wait_for("chat.postMessage")
    assert slack.sent("conversations.open")[0].params["users"] == ADA.id
    assert message.params["channel"] == "D" + ADA.id


async def test_retried_event_is_handled_once(sender, slack):
    event = {"type": "app_home_opened", "user": ADA.id, "tab": "home"}
    await sender.event(event, event_id="Ev0SAME")
    await sender.event(event, event_id="Ev0SAME", retry=1)
    await slack.wait_for("views.publish")
    await asyncio.sleep(0.3)
    assert len(slack.sent("views.publish")) == 1


async def test_direct_message_text_is_read_as_a_command(sender, slack):
    await sender.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": ADA_DM,
            "user": ADA.id,
            "text": "explain gil",
            "ts": "1.000001",
        }
    )
    (message,) = await slack.wait_for("chat.postMessage")
    assert texts(message.params["blocks"]).startswith("The GIL")


async def test_daily_without_a_zone_uses_the_slack_timezone(sender, slack):
    slack.timezones[ADA.id] = "Asia/Kolkata"
    await sender.command(ADA, ADA_DM, "/daily", "08:30")
    (message,) = await slack.wait_for("chat.postMessage")
    assert "Asia/Kolkata" in texts(message.params["blocks"])
    assert slack.sent("users.info")[0].params["user"] == ADA.id


async def test_rate_limit_is_waited_out_and_the_message_still_goes(sender, slack):
    slack.rate_limited["chat.postMessage"] = 1
    await sender.command(ADA, ADA_DM, "/help")
    (message,) = await slack.wait_for("chat.postMessage", timeout=15)
    assert "/quiz" in texts(message.params["blocks"])
    assert len(slack.sent("chat.postMessage:429")) == 1


async def test_long_explanation_is_split_within_block_kit_limits(core, db, sender, slack):
    from bot.store.models import Topic

    with db.write_session() as session:
        topic = session.get(Topic, "celery")
        topic.explanation = "\n\n".join(f"Paragraph {n}: " + "word " * 150 for n in range(240))
    await core.load_topics()
    await sender.command(ADA, ADA_DM, "/explain", "celery")
    messages = await slack.wait_for("chat.postMessage", 2)
    assert all(len(m.params["blocks"]) <= 50 for m in messages)
    assert buttons(messages[-1].params["blocks"]) and not buttons(messages[0].params["blocks"])


async def test_an_error_gets_an_apology_and_the_app_keeps_working(core, sender, slack, caplog):
    original = core.handle
    calls = 0

    async def failing_once(event, inbox_key=None):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        return await original(event, inbox_key)

    core.handle = failing_once
    with caplog.at_level(logging.ERROR):
        await sender.command(ADA, ADA_DM, "/help")
        (apology,) = await slack.wait_for_responses()
    assert "Sorry" in apology["text"]
    await sender.command(ADA, ADA_DM, "/help")
    await slack.wait_for("chat.postMessage")
    logged = caplog.text
    assert BOT_TOKEN not in logged and SIGNING_SECRET not in logged


async def test_socket_mode_receives_commands_without_a_public_address(core, slack):
    from tests.fakes.slack_api import APP_TOKEN

    client = build_client(BOT_TOKEN, slack.base_url)
    adapter = SlackAdapter(core, client, SIGNING_SECRET, app_token=APP_TOKEN)
    server = BotServer(core, [adapter])
    await server.start()
    try:
        assert adapter.routes() == []  # nothing to expose
        envelope = await slack.push_over_socket(
            "slash_commands",
            {
                "command": "/explain",
                "text": "gil",
                "user_id": ADA.id,
                "user_name": ADA.name,
                "channel_id": ADA_DM,
                "channel_name": "directmessage",
                "team_id": "T0TEAM",
                "response_url": slack.response_url("socket"),
            },
        )
        (message,) = await slack.wait_for("chat.postMessage")
        assert texts(message.params["blocks"]).startswith("The GIL")
        async with asyncio.timeout(5):
            while envelope not in [ack["envelope_id"] for ack in slack.socket_acks]:
                await asyncio.sleep(0.02)
    finally:
        await server.stop()


async def test_socket_mode_stores_a_command_before_acking_and_drops_a_redelivery(core, slack, db):
    from sqlalchemy import select

    from bot.store.models import InboxUpdate
    from tests.fakes.slack_api import APP_TOKEN

    client = build_client(BOT_TOKEN, slack.base_url)
    server = BotServer(core, [SlackAdapter(core, client, SIGNING_SECRET, app_token=APP_TOKEN)])
    await server.start()
    command = {
        "command": "/quiz",
        "text": "gil",
        "user_id": ADA.id,
        "user_name": ADA.name,
        "channel_id": ADA_DM,
        "channel_name": "directmessage",
        "team_id": "T0TEAM",
        "trigger_id": "trigger-socket-1",
        "response_url": slack.response_url("socket"),
    }
    try:
        first = await slack.push_over_socket("slash_commands", command)
        await slack.wait_for("chat.postMessage")
        again = await slack.push_over_socket("slash_commands", command)  # Slack retrying
        async with asyncio.timeout(5):
            while {first, again} - {ack["envelope_id"] for ack in slack.socket_acks}:
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # a second answer would show itself
    finally:
        await server.stop()
    assert len(slack.sent("chat.postMessage")) == 1
    with db.read_session() as session:
        (stored,) = session.execute(select(InboxUpdate)).scalars()
    assert stored.key == "slack:trigger:trigger-socket-1" and stored.handled_at is not None


async def test_a_socket_mode_command_stored_but_not_handled_is_handled_at_start(core, slack):
    """What a killed process left: a command stored (as the Socket Mode middleware stores it)
    and never handled."""
    from bot.adapters.slack import _stored
    from tests.fakes.slack_api import APP_TOKEN

    command = {
        "command": "/explain",
        "text": "gil",
        "user_id": ADA.id,
        "user_name": ADA.name,
        "channel_id": ADA_DM,
        "channel_name": "directmessage",
        "team_id": "T0TEAM",
        "trigger_id": "trigger-left-behind",
        "response_url": slack.response_url("socket"),
    }
    stored = _stored(json.dumps(command), "application/json")
    assert await core.receive("slack", [("slack:trigger:trigger-left-behind", stored)])
    client = build_client(BOT_TOKEN, slack.base_url)
    server = BotServer(core, [SlackAdapter(core, client, SIGNING_SECRET, app_token=APP_TOKEN)])
    await server.start()
    try:
        (message,) = await slack.wait_for("chat.postMessage")
        assert texts(message.params["blocks"]).startswith("The GIL")
    finally:
        await server.stop()
    assert await core.waiting("slack") == []


_CONTENT_TYPES = st.sampled_from(
    ["application/x-www-form-urlencoded", "application/json", "text/plain", ""]
)
_PAYLOADS = st.one_of(
    st.text(max_size=300),
    st.builds(
        lambda fields: urlencode(fields),
        st.dictionaries(
            st.sampled_from(
                ["command", "text", "user_id", "channel_id", "payload", "type", "trigger_id"]
            ),
            st.text(max_size=60) | st.sampled_from(["/quiz", "/explain", "{}", "[]", "null"]),
        ),
    ),
    st.builds(
        lambda payload: urlencode({"payload": json.dumps(payload)}),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(
                    st.sampled_from(["type", "user", "actions", "channel", "value", "id"]),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=12,
        ),
    ),
    st.builds(
        lambda event: json.dumps({"type": "event_callback", "event_id": "Ev1", "event": event}),
        st.dictionaries(
            st.sampled_from(["type", "user", "channel", "text", "channel_type", "tab"]),
            st.text(max_size=20) | st.none() | st.integers(),
        ),
    ),
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=_PAYLOADS, content_type=_CONTENT_TYPES)
async def test_any_signed_payload_is_answered_without_a_server_error(sender, body, content_type):
    response = await sender.post(body, content_type)
    assert response.status < 500
