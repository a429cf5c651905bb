"""The database goes away while the bot runs, and comes back: whoever wrote hears why there is
no answer yet, and the bot recovers without a restart (Telegram keeps the update and it is
answered then; a Slack command is asked for again)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url

from bot.adapters.slack import SlackAdapter, build_client
from bot.core.catalog import Catalog
from bot.core.handler import Core
from bot.core.replies import DATABASE_AWAY, DATABASE_AWAY_RETRY
from bot.core.srs import make_scheduler
from bot.server import BotServer
from bot.store.database import Database
from tests.e2e.test_telegram import ADA, start_bot
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, SlackSender, SlackUser
from tests.postgres_admin import admin_execute

ADA_ON_SLACK = SlackUser("U0ADA", "ada")


@contextmanager
def database_away(database_url: str) -> Iterator[None]:
    """No connection to the bot's database, old or new, until the block ends."""
    name = make_url(database_url).database
    server = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    admin_execute(
        server,
        f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false',
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
    )
    try:
        yield
    finally:
        admin_execute(server, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


async def test_a_command_sent_while_the_database_is_away_is_answered_when_it_is_back(
    core,
    db,
    database_url,
    telegram,
):
    if db.is_sqlite:
        pytest.skip("a SQLite file cannot be taken away from an open connection")
    server = await start_bot(core, telegram)
    try:
        with database_away(database_url):
            telegram.send_text(ADA, "/quiz gil")
            (waiting,) = await telegram.wait_for("sendMessage", timeout=20)
            assert waiting.params["text"] == DATABASE_AWAY
        (poll,) = await telegram.wait_for("sendPoll", timeout=30)
        assert poll.params["question"] == "What does the GIL allow?"
        assert [c.params["text"] for c in telegram.calls if c.method == "sendMessage"] == [
            DATABASE_AWAY
        ]
    finally:
        await server.stop()


async def test_a_slack_command_sent_while_the_database_is_away_gets_a_plain_answer(
    core, db, database_url, slack
):
    if db.is_sqlite:
        pytest.skip("a SQLite file cannot be taken away from an open connection")
    server = BotServer(
        core, [SlackAdapter(core, build_client(BOT_TOKEN, slack.base_url), SIGNING_SECRET)]
    )
    await server.start()
    sender = SlackSender(server.url, slack)
    try:
        with database_away(database_url):
            response = await sender.command(ADA_ON_SLACK, "D0ADA", "/quiz", "gil")
            assert response.status == 200
            assert await response.text() == DATABASE_AWAY_RETRY
        response = await sender.command(ADA_ON_SLACK, "D0ADA", "/quiz", "gil")
        assert response.status == 200
        (question,) = await slack.wait_for("chat.postMessage")
        assert "What does the GIL allow?" in json.dumps(question.params["blocks"])
    finally:
        await server.stop()


async def test_a_locked_sqlite_database_tells_the_person_and_answers_once_free(
    core, db, database_url, telegram
):
    if not db.is_sqlite:
        pytest.skip("SQLite's lock: another process writing for longer than the busy timeout")
    impatient = Database(database_url, sqlite_busy_timeout_ms=200)
    bot_core = Core(impatient, Catalog(), scheduler=make_scheduler(fuzzing=False))
    await bot_core.load_topics()
    server = await start_bot(bot_core, telegram)
    other_writer = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    try:
        other_writer.execute("BEGIN IMMEDIATE")  # e.g. a backup or a migration, holding on
        telegram.send_text(ADA, "/quiz gil")
        (waiting,) = await telegram.wait_for("sendMessage", timeout=20)
        assert waiting.params["text"] == DATABASE_AWAY
        other_writer.execute("ROLLBACK")
        (poll,) = await telegram.wait_for("sendPoll", timeout=30)
        assert poll.params["question"] == "What does the GIL allow?"
    finally:
        other_writer.close()
        await server.stop()
        await impatient.dispose()
