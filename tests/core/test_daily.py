import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.adapters.base import DeliveryFailed
from bot.core import actions
from bot.core.catalog import Catalog
from bot.core.daily import DailySetting, parse_daily
from bot.core.handler import Core
from bot.core.pushtime import next_push_after
from bot.core.replies import ChoicePrompt
from bot.core.srs import make_scheduler
from bot.scheduler import DailyTicker, TickReport
from bot.store.database import Database
from tests.conftest import daily_ticker
from tests.fakes.adapter import RecordingAdapter
from tests.fakes.chat import FakeChat, only


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("9:05 Europe/Berlin", DailySetting(9, 5, "Europe/Berlin")),
        ("09:05 UTC", DailySetting(9, 5, "UTC")),
        ("21:30 Asia/Kolkata", DailySetting(21, 30, "Asia/Kolkata")),
        ("07:30", DailySetting(7, 30, None)),
        ("off", "off"),
        ("", None),
    ],
)
def test_daily_accepts_times_and_zones_people_write(args, expected):
    assert parse_daily(args) == expected


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ("25:00", "not a time of day"),
        ("9", "not a time like 07:30"),
        ("7.30 UTC", "not a time like 07:30"),
        ("07:30 Mars/Olympus_Mons", "do not know the time zone"),
        ("07:30 EST", "use Area/City"),
        ("07:30 ../../etc/passwd", "not a time zone"),
        ("07:30 Europe/Berlin please", "could not read"),
    ],
)
def test_daily_explains_the_expected_form(args, complaint):
    with pytest.raises(ValueError, match=complaint) as error:
        parse_daily(args)
    assert "/daily HH:MM Area/City" in str(error.value)


@pytest.fixture
def adapter() -> RecordingAdapter:
    return RecordingAdapter()


@pytest.fixture
def ticker(core, adapter) -> DailyTicker:
    return daily_ticker(core, {"test": adapter})


def at(year, month, day, hour, minute=0, zone=UTC) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


async def test_subscribing_tells_the_next_push_in_local_time(core, clock):
    clock.set(at(2026, 3, 2, 5, 0))  # 06:00 in Berlin
    reply = only(await FakeChat.private(core).say("/daily 07:30 Europe/Berlin"))
    assert "every day at **07:30 Europe/Berlin**" in reply.markdown
    assert "Mon 02 Mar at 07:30 (in 2 hours)" in reply.markdown
    shown = only(await FakeChat.private(core).say("/daily"))
    assert "every day at **07:30 Europe/Berlin**" in shown.markdown


async def test_bad_daily_input_changes_nothing(core):
    chat = FakeChat.private(core)
    await chat.say("/daily 07:30 Europe/Berlin")
    reply = only(await chat.say("/daily 31:00 Europe/Berlin"))
    assert "not a time of day" in reply.markdown
    assert "07:30 Europe/Berlin" in only(await chat.say("/daily")).markdown


async def test_daily_without_zone_keeps_the_known_zone(core):
    chat = FakeChat.private(core)
    await chat.say("/daily 07:30 Asia/Kolkata")
    reply = only(await chat.say("/daily 08:15"))
    assert "08:15 Asia/Kolkata" in reply.markdown
    fresh = FakeChat.private(core, person_id="9")
    assert "08:15 UTC" in only(await fresh.say("/daily 08:15")).markdown


async def test_question_arrives_once_at_the_chosen_local_minute(core, clock, ticker, adapter):
    clock.set(at(2026, 3, 2, 5, 0))
    await FakeChat.private(core).say("/daily 07:30 Europe/Berlin")
    clock.set(at(2026, 3, 2, 6, 29))  # 07:29 Berlin
    await ticker.tick()
    assert adapter.delivered == []
    clock.set(at(2026, 3, 2, 6, 30))
    report = await ticker.tick()
    assert report.sent == 1
    chat_id, replies = adapter.delivered[0]
    assert chat_id == "dm-1"
    question = replies[0]
    assert isinstance(question, ChoicePrompt)
    assert question.header == "📅 Your daily question · 🔥 0-day streak"
    clock.advance(minutes=1)
    await ticker.tick()
    assert len(adapter.delivered) == 1


def pushes_over(days: int, start: datetime, step: timedelta = timedelta(minutes=15)):
    moments = []
    moment = start
    while moment < start + timedelta(days=days):
        moments.append(moment)
        moment += step
    return moments


@pytest.mark.parametrize(
    ("first_day", "label"),
    [(date(2026, 3, 28), "spring forward"), (date(2026, 10, 24), "fall back")],
)
async def test_daylight_saving_neither_skips_nor_doubles_a_day(
    core, clock, ticker, adapter, first_day, label
):
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    clock.set(datetime.combine(first_day, datetime.min.time(), tzinfo=berlin).astimezone(UTC))
    await FakeChat.private(core).say("/daily 02:30 Europe/Berlin")
    sent_at = []
    for moment in pushes_over(3, clock.now):
        clock.set(moment)
        before = len(adapter.delivered)
        await ticker.tick()
        if len(adapter.delivered) > before:
            sent_at.append(moment.astimezone(berlin))
    assert [m.date() for m in sent_at] == [first_day + timedelta(days=n) for n in range(3)], label
    assert all(m.hour in (2, 3) for m in sent_at)


async def test_push_missed_while_down_is_sent_within_the_grace_window(core, clock, ticker, adapter):
    clock.set(at(2026, 3, 2, 6, 0))
    await FakeChat.private(core).say("/daily 07:00 UTC")
    clock.set(at(2026, 3, 2, 12, 30))  # down from 07:00 to 12:30: within 6 hours
    assert (await ticker.tick()).sent == 1


async def test_push_older_than_the_grace_window_is_skipped_for_the_next_day(
    core, clock, ticker, adapter
):
    clock.set(at(2026, 3, 2, 6, 0))
    await FakeChat.private(core).say("/daily 07:00 UTC")
    clock.set(at(2026, 3, 2, 13, 30))
    assert (await ticker.tick()).sent == 0
    clock.set(at(2026, 3, 3, 7, 0))
    assert (await ticker.tick()).sent == 1


async def test_transient_failure_is_retried_at_the_next_tick(core, clock, ticker, adapter):
    clock.set(at(2026, 3, 2, 6, 0))
    await FakeChat.private(core).say("/daily 07:00 UTC")
    adapter.failures.append(DeliveryFailed("timed out", permanent=False))
    clock.set(at(2026, 3, 2, 7, 0))
    assert (await ticker.tick()).retrying == 1
    clock.advance(minutes=1)
    assert (await ticker.tick()).sent == 1
    clock.advance(minutes=1)
    assert (await ticker.tick()).sent == 0


async def test_a_push_that_failed_for_now_waits_for_the_next_tick_even_if_recorded_first(
    core, clock, ticker, adapter
):
    """The next batch is claimed while the last pushes are out; one of them failing for now,
    and recorded before that claim reads the queue, is not tried again in the same tick."""
    clock.set(at(2026, 3, 2, 6, 0))
    await FakeChat.private(core).say("/daily 07:00 UTC")
    adapter.failures.append(DeliveryFailed("timed out", permanent=False))
    claim, record = ticker.daily.claim_due, ticker.daily.record
    recorded = asyncio.Event()

    async def record_then_say(outcomes):
        await record(outcomes)
        recorded.set()

    claims = 0

    async def claim_after_the_record(platforms, **kwargs):
        nonlocal claims
        claims += 1
        if claims > 1:
            await recorded.wait()
        return await claim(platforms, **kwargs)

    ticker.daily.claim_due, ticker.daily.record = claim_after_the_record, record_then_say
    clock.set(at(2026, 3, 2, 7, 0))
    assert (await ticker.tick()) == TickReport(sent=0, failed=0, retrying=1)
    clock.advance(minutes=1)
    assert (await ticker.tick()).sent == 1


async def test_permanent_failure_pauses_until_daily_is_set_again(core, clock, ticker, adapter):
    chat = FakeChat.private(core)
    clock.set(at(2026, 3, 2, 6, 0))
    await chat.say("/daily 07:00 UTC")
    adapter.failures.append(DeliveryFailed("bot was blocked by the user", permanent=True))
    clock.set(at(2026, 3, 2, 7, 0))
    assert (await ticker.tick()).failed == 1
    clock.set(at(2026, 3, 3, 7, 0))
    assert (await ticker.tick()).sent == 0
    assert "No daily question here yet" in only(await chat.say("/daily")).markdown
    await chat.say("/daily 07:00 UTC")
    clock.set(at(2026, 3, 4, 7, 0))
    assert (await ticker.tick()).sent == 1


async def test_daily_off_stops_pushes(core, clock, ticker, adapter):
    chat = FakeChat.private(core)
    clock.set(at(2026, 3, 2, 6, 0))
    await chat.say("/daily 07:00 UTC")
    assert "turned off" in only(await chat.say("/daily off")).markdown
    clock.set(at(2026, 3, 2, 7, 0))
    assert (await ticker.tick()).sent == 0


async def test_restart_mid_day_does_not_send_again(core, db, clock, adapter):
    clock.set(at(2026, 3, 2, 6, 0))
    await FakeChat.private(core).say("/daily 07:00 UTC")
    clock.set(at(2026, 3, 2, 7, 0))
    assert (await daily_ticker(core, {"test": adapter}).tick()).sent == 1
    restarted = Core(db, Catalog(), clock=clock, scheduler=make_scheduler(fuzzing=False))
    await restarted.load_topics()
    clock.advance(hours=2)
    assert (await daily_ticker(restarted, {"test": adapter}).tick()).sent == 0
    assert len(adapter.delivered) == 1


async def test_two_schedulers_on_one_database_deliver_each_push_once(
    core, database_url, clock, adapter
):
    for n in range(20):
        await FakeChat.private(core, person_id=str(n)).say("/daily 07:00 UTC")
    clock.set(at(2026, 3, 3, 7, 0))
    other_db = Database(database_url)
    try:
        other = Core(other_db, Catalog(), clock=clock)
        await other.load_topics()
        first = daily_ticker(core, {"test": adapter})
        second = daily_ticker(other, {"test": adapter})
        reports = await __import__("asyncio").gather(first.tick(), second.tick())
    finally:
        await other_db.dispose()
    assert sum(r.sent for r in reports) == 20
    assert sorted(adapter.chats()) == sorted(f"dm-{n}" for n in range(20))


async def test_group_gets_one_question_of_the_day(core, clock, ticker, adapter):
    group = FakeChat.private(core).in_group("1", "Ada")
    clock.set(at(2026, 3, 2, 6, 0))
    await group.say("/daily 09:00 UTC")
    clock.set(at(2026, 3, 2, 9, 0))
    await ticker.tick()
    ((chat_id, (question,)),) = adapter.delivered
    assert chat_id == "group-1" and question.header == "📅 Question of the day"


async def test_streak_counts_local_days_with_an_answer(core, clock):
    chat = FakeChat.private(core)
    await chat.say("/daily 07:00 Asia/Kolkata")
    for day in range(3):
        clock.set(at(2026, 3, 2 + day, 20, 0))  # 01:30 the next day in Kolkata
        question = only(await chat.say("/quiz"))
        await chat.press(actions.answer(question.ask_id, question.correct_index))
    clock.set(at(2026, 3, 7, 20, 0))
    question = only(await chat.say("/quiz"))
    await chat.press(actions.answer(question.ask_id, question.correct_index))
    stats = only(await chat.say("/stats")).markdown
    assert "Streak: 1 day (best 3 days)" in stats


async def test_terminal_explains_daily_is_for_chat_platforms(core):
    from bot.core.events import ChatRef, Command, PersonRef

    person = PersonRef("console", "local", "me")
    reply = only(
        await core.handle(
            Command(person, ChatRef("console", "local", can_push=False), "daily", "07:00")
        )
    )
    assert "pushed on Telegram and Slack" in reply.markdown


def test_next_push_is_today_when_the_time_is_still_ahead():
    now = at(2026, 3, 2, 6, 0)
    assert next_push_after(now, 7, 0, "UTC") == at(2026, 3, 2, 7, 0)
    assert next_push_after(now, 5, 0, "UTC") == at(2026, 3, 3, 5, 0)


class SlowAdapter(RecordingAdapter):
    """Takes a moment per delivery (longer than a claim takes, even on a busy PostgreSQL), and
    counts the deliveries under way."""

    in_flight: int = 0

    async def deliver(self, chat_id, replies) -> None:
        self.in_flight += 1
        try:
            await asyncio.sleep(0.1)
            await super().deliver(chat_id, replies)
        finally:
            self.in_flight -= 1


async def subscribe_many(core, count: int) -> None:
    for n in range(count):
        await FakeChat.private(core, person_id=str(n)).say("/daily 07:00 UTC")


async def test_every_batch_is_sent_once_and_the_next_claimed_while_the_last_pushes_are_out(
    core, clock
):
    clock.set(at(2026, 3, 2, 6, 0))
    await subscribe_many(core, 12)
    adapter = SlowAdapter()
    ticker = daily_ticker(core, {"test": adapter})
    ticker.daily.batch_size, ticker.concurrency = 5, 2
    claim = ticker.daily.claim_due
    in_flight_at_claims: list[int] = []

    async def watched_claim(platforms, **kwargs):
        in_flight_at_claims.append(adapter.in_flight)
        return await claim(platforms, **kwargs)

    ticker.daily.claim_due = watched_claim
    clock.set(at(2026, 3, 2, 7, 0))

    assert (await ticker.tick()).sent == 12
    assert sorted(adapter.chats()) == sorted(f"dm-{n}" for n in range(12))
    assert in_flight_at_claims[0] == 0 and all(n > 0 for n in in_flight_at_claims[1:])
    assert (await ticker.tick()).sent == 0


async def test_a_batch_that_only_fails_for_now_ends_the_tick_and_the_rest_waits(core, clock):
    clock.set(at(2026, 3, 2, 6, 0))
    await subscribe_many(core, 12)
    adapter = SlowAdapter()
    adapter.failures.extend(DeliveryFailed("timed out", permanent=False) for _ in range(5))
    ticker = daily_ticker(core, {"test": adapter})
    ticker.daily.batch_size, ticker.concurrency = 5, 2
    clock.set(at(2026, 3, 2, 7, 0))

    first = await ticker.tick()
    assert (first.sent, first.retrying) == (0, 5)
    clock.advance(minutes=1)
    assert (await ticker.tick()).sent == 12
