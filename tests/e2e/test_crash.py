"""kill -9 in the middle of a burst: every update is handled once, after the restart if not
before, and every reply is sent, after the restart if not before (Telegram polling, Telegram
webhook with two processes, Slack over HTTP; on SQLite and PostgreSQL). A reply sent just
before the kill may be sent again: the README says when and why."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp
from sqlalchemy import func, select

from bot.store.models import Ask, Chat, InboxUpdate
from tests.e2e.bot_process import BotProcess
from tests.e2e.test_run_command import operator_env
from tests.e2e.test_two_processes import SECRET, post
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi, SlackSender, SlackUser
from tests.fakes.telegram_api import FakeTelegram, user

PEOPLE = [user(5000 + n, f"Person {n}") for n in range(40)]


async def test_a_killed_polling_bot_handles_every_update_once_after_restart(
    db, database_url, tmp_path
):
    telegram = FakeTelegram()
    await telegram.start()
    env = operator_env(
        database_url,
        tmp_path,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.base_url,
        LOG_LEVEL="INFO",
    )
    first = BotProcess(env, tmp_path)
    restarted = BotProcess(env, tmp_path)
    try:
        await first.start()
        await asyncio.wait_for(telegram.polled.wait(), 20)
        for person in PEOPLE:
            telegram.send_text(person, "/quiz")
        await telegram.wait_for("sendPoll", 4, timeout=30)
        assert first.process is not None
        first.process.kill()  # SIGKILL: no cleanup of any kind
        await first.process.wait()
        sent_before_the_kill = len(telegram.sent("sendPoll"))

        await restarted.start()
        await _all_handled(db)
        assert await restarted.terminate() == 0
    finally:
        await telegram.stop()

    _every_quiz_handled_once_and_answered(db, telegram, sent_before_the_kill)


async def test_a_reply_kept_before_the_kill_is_sent_after_the_restart(db, database_url, tmp_path):
    telegram = FakeTelegram()
    await telegram.start()
    env = operator_env(
        database_url,
        tmp_path,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.base_url,
    )
    first = BotProcess(env, tmp_path)
    restarted = BotProcess(env, tmp_path)
    ada = PEOPLE[0]
    try:
        await first.start()
        await asyncio.wait_for(telegram.polled.wait(), 20)
        telegram.holding.add("sendPoll")  # the question is lost on its way to Telegram
        telegram.send_text(ada, "/quiz")
        async with asyncio.timeout(20):
            while not telegram.held:
                await asyncio.sleep(0.05)
        assert first.process is not None
        first.process.kill()
        await first.process.wait()
        telegram.holding.clear()

        await restarted.start()
        (poll,) = await telegram.wait_for("sendPoll", timeout=30)
        assert poll.params["question"] == telegram.held[0].params["question"]
        telegram.answer_poll(telegram.poll_ids[-1], ada, poll.params["correct_option_ids"][0])
        (verdict,) = await telegram.wait_for("sendMessage", timeout=30)
        assert "Right!" in verdict.params["text"]
        assert await restarted.terminate() == 0
    finally:
        await telegram.stop()
    assert _asks_by_chat(db) == Counter({str(ada["id"]): 1}), "the /quiz was handled once"
    assert telegram.refusals == []


async def _all_handled(db) -> None:
    """Until every person's /quiz is handled, and a moment more for replies being sent."""
    async with asyncio.timeout(60):
        while _handled(db) < len(PEOPLE):
            await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)


def _every_quiz_handled_once_and_answered(
    db, telegram: FakeTelegram, sent_before_the_kill: int
) -> None:
    asks = _asks_by_chat(db)
    assert asks == Counter({str(person["id"]): 1 for person in PEOPLE}), "each /quiz handled once"
    polls = Counter(str(params["chat_id"]) for params in telegram.sent("sendPoll"))
    assert set(polls) == {str(person["id"]) for person in PEOPLE}, "somebody got no question"
    # Sent before the kill but not yet marked sent: sent again (at most those).
    assert sum(polls.values()) - len(PEOPLE) <= sent_before_the_kill
    assert telegram.refusals == []


def _handled(db) -> int:
    with db.read_session() as session:
        return session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.handled_at.is_not(None))
        )


async def test_a_killed_slack_bot_handles_every_acknowledged_command_once(
    db, database_url, tmp_path
):
    slack = FakeSlackApi()
    await slack.start()
    env = operator_env(
        database_url,
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.base_url,
        LOG_LEVEL="INFO",
    )
    people = [SlackUser(f"U{n:04d}", f"person{n}") for n in range(150)]
    first = BotProcess(env, tmp_path)
    restarted = BotProcess(env, tmp_path)
    try:
        await first.start()
        sender = SlackSender(first.url, slack)

        async def quiz(person: SlackUser) -> str | None:
            try:
                response = await sender.command(person, f"D{person.id}", "/quiz")
            except aiohttp.ClientError:
                return None  # the process died before answering: Slack shows an error
            return f"D{person.id}" if response.status == 200 else None

        sending = [asyncio.create_task(quiz(person)) for person in people]
        await slack.wait_for("chat.postMessage", 1, timeout=30)
        assert first.process is not None
        first.process.kill()
        await first.process.wait()
        acknowledged = {channel for channel in await asyncio.gather(*sending) if channel}
        sent_before_the_kill = len(slack.sent("chat.postMessage"))

        await restarted.start()
        async with asyncio.timeout(60):
            while _waiting(db) or _handled(db) < len(acknowledged):
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        assert await restarted.terminate() == 0
    finally:
        await slack.stop()

    asks = _asks_by_chat(db)
    assert max(asks.values()) == 1, "a command was handled twice"
    assert acknowledged <= set(asks), "an acknowledged command was never handled"
    posts = Counter(call.params["channel"] for call in slack.sent("chat.postMessage"))
    assert acknowledged <= set(posts), "an acknowledged command got no reply"
    assert sum(posts.values()) - len(posts) <= sent_before_the_kill
    assert slack.refusals == []


def _waiting(db) -> int:
    with db.read_session() as session:
        return session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.handled_at.is_(None))
        )


def _asks_by_chat(db) -> Counter[str]:
    with db.read_session() as session:
        return Counter(
            chat
            for (chat,) in session.execute(
                select(Chat.platform_chat_id).join(Ask, Ask.chat_id == Chat.id)
            )
        )


async def test_two_webhook_processes_one_killed_handle_every_update_once(
    db, database_url, tmp_path
):
    """Telegram delivers by webhook to two processes behind a load balancer; one is killed in
    the middle of a burst, Telegram retries what failed on the other, the killed one restarts."""
    telegram = FakeTelegram()
    await telegram.start()
    env = operator_env(
        database_url,
        tmp_path,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_URL=telegram.base_url,
        TELEGRAM_WEBHOOK_URL="https://bot.example/telegram/hook",
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        LOG_LEVEL="INFO",
    )
    bots = [BotProcess(env, tmp_path), BotProcess(env, tmp_path)]
    restarted = BotProcess(env, tmp_path)
    try:
        await asyncio.gather(*(bot.start() for bot in bots))
        async with aiohttp.ClientSession() as http:

            async def deliver(update: dict, first_choice: int) -> None:
                """Telegram's side: until a process answers 200 (it has stored the update)."""
                for bot in (bots[first_choice], bots[1 - first_choice]):
                    try:
                        if await post(http, bot, update) == 200:
                            return
                    except aiohttp.ClientError:
                        continue  # the process died: try again on the other
                raise AssertionError("no process took the update")

            burst = [
                asyncio.create_task(
                    deliver(telegram.update_json("message", telegram.message(p, "/quiz")), n % 2)
                )
                for n, p in enumerate(PEOPLE)
            ]
            await telegram.wait_for("sendPoll", 4, timeout=30)
            killed = bots[0].process
            assert killed is not None
            killed.kill()
            await killed.wait()
            sent_before_the_kill = len(telegram.sent("sendPoll"))
            await asyncio.gather(*burst)

        await restarted.start()  # takes over what the killed one stored and did not handle
        await _all_handled(db)
        codes = await asyncio.gather(restarted.terminate(), bots[1].terminate())
        assert codes == [0, 0]
    finally:
        await telegram.stop()

    _every_quiz_handled_once_and_answered(db, telegram, sent_before_the_kill)
