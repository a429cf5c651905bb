import aiohttp

from bot.core.catalog import Catalog
from bot.core.handler import Core
from bot.core.outbox import Outbox
from bot.core.replies import Message
from bot.metrics import Metrics
from bot.server import BotServer
from tests.fakes.adapter import RecordingAdapter
from tests.fakes.chat import FakeChat


async def test_healthz_answers_when_the_database_does(core):
    server = BotServer(core, [])
    await server.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as response:
            assert response.status == 200
            assert await response.json() == {"status": "ok"}
    finally:
        await server.stop()


async def test_metrics_count_updates_answers_and_latency(db, clock):
    metrics = Metrics()
    core = Core(db, Catalog(), clock=clock, metrics=metrics)
    await core.load_topics()
    chat = FakeChat.private(core)
    await chat.say("/help")
    await chat.say("/nonsense")
    server = BotServer(core, [], metrics=metrics)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as response:
            text = await response.text()
    finally:
        await server.stop()
    assert 'revision_bot_updates_total{command="help",platform="test"} 1.0' in text
    assert 'revision_bot_updates_total{command="unknown",platform="test"} 1.0' in text
    assert "revision_bot_update_seconds_bucket" in text


async def test_broadcast_goes_to_every_subscribed_chat(db, clock):
    outbox = Outbox()
    core = Core(db, Catalog(), clock=clock, admin_ids=frozenset({"test:9"}), outbox=outbox)
    await core.load_topics()
    adapter = RecordingAdapter()
    for n in range(3):
        await FakeChat.private(core, person_id=str(n)).say("/daily 07:00 UTC")
    server = BotServer(core, [adapter], outbox=outbox)
    await server.start()
    try:
        reply = await FakeChat.private(core, person_id="9").say("/broadcast hello")
        assert reply == [Message("Broadcast on its way to 3 subscribed chat(s).")]
    finally:
        await server.stop()  # waits for the outbox to drain
    assert sorted(adapter.chats()) == ["dm-0", "dm-1", "dm-2"]
    assert {replies for _, replies in adapter.delivered} == {(Message("hello"),)}
