"""The local platforms every end-to-end test talks to over HTTP; each fails the test that used
it if the bot sent a request the real platform would refuse."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()
    assert fake.refusals == [], "the bot sent requests Telegram would refuse"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    fake = FakeSlackApi()
    await fake.start()
    yield fake
    await fake.stop()
    assert fake.refusals == [], "the bot sent requests Slack would refuse"
