"""Shared fixtures: a migrated database per test (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set), a controllable clock, and a core over a small fixture bank."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.adapters.base import Adapter
from bot.bank.sync import sync_bank
from bot.bank.validate import load_bank
from bot.config import to_driver_url
from bot.core.catalog import Catalog
from bot.core.daily_service import DailyService
from bot.core.handler import Core
from bot.core.interview_service import InterviewService
from bot.core.srs import make_scheduler
from bot.scheduler import DailyTicker, RoundTicker
from bot.store.database import Database
from bot.store.migrate import upgrade
from tests.fakes.clock import FakeClock
from tests.postgres_admin import admin_execute

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
REPO_ROOT = Path(__file__).parent.parent


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = ["sqlite"]
        if os.environ.get("TEST_DATABASE_URL"):
            backends.append("postgresql")
        metafunc.parametrize("backend", backends, scope="session")


@pytest.fixture(scope="session")
def postgres_run_url() -> Iterator[str]:
    """A database of this test run's own on the TEST_DATABASE_URL server, dropped at the end."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set")
    base_url = to_driver_url(base)
    name = f"revision_bot_test_{uuid.uuid4().hex[:10]}"
    admin_execute(base_url, f'CREATE DATABASE "{name}"')
    yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    admin_execute(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite+pysqlite:///{tmp_path / 'test.db'}"
    url = request.getfixturevalue("postgres_run_url")
    admin_execute(url, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def core(db: Database, clock: FakeClock) -> Core:
    bank, problems = load_bank(FIXTURE_CONTENT)
    assert problems == []
    await sync_bank(db, bank)
    bot_core = Core(db, Catalog(), clock=clock, scheduler=make_scheduler(fuzzing=False))
    await bot_core.load_topics()
    return bot_core


def daily_ticker(core: Core, adapters: dict[str, Adapter]) -> DailyTicker:
    """The daily ticker as the server builds it, over the core's database, bank and clock."""
    service = DailyService(core.db, core.catalog, make_scheduler(fuzzing=False), core.clock)
    return DailyTicker(core, service, adapters)


def round_ticker(core: Core, adapters: dict[str, Adapter]) -> RoundTicker:
    """The interview ticker as the server builds it, over the core's database, bank and clock."""
    service = InterviewService(core.db, core.catalog, make_scheduler(fuzzing=False), core.clock)
    return RoundTicker(service, adapters)
