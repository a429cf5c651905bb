"""The database goes away while the bot runs, and comes back."""

import pytest

from bot.core.replies import ChoicePrompt
from tests.fakes.chat import FakeChat, only
from tests.postgres_admin import admin_execute


async def test_a_dropped_postgres_connection_costs_nobody_an_answer(core, db, database_url):
    if db.is_sqlite:
        pytest.skip("PostgreSQL connections only")
    chat = FakeChat.private(core)
    await chat.say("/start")
    # Every connection of the bot's pool, gone, as in a server restart or a failover.
    admin_execute(
        database_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    assert isinstance(only(await chat.say("/quiz gil")), ChoicePrompt)
    assert isinstance(only(await chat.say("/quiz gil")), ChoicePrompt)
