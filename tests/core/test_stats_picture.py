from datetime import UTC, date, datetime

from bot.core import actions
from bot.core.progress_data import HISTORY_DAYS, CardHold, build_progress_data
from bot.core.replies import Message
from tests.fakes.chat import FakeChat, only


async def answer(chat: FakeChat, topic: str, *, right: bool) -> None:
    question = only(await chat.say(f"/quiz {topic}"))
    option = question.correct_index if right else (question.correct_index + 1) % 3
    await chat.press(actions.answer(question.ask_id, option))


async def test_stats_picture_data_matches_the_persons_history(core, clock):
    chat = FakeChat.private(core)
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await answer(chat, "gil", right=True)
    await answer(chat, "gil", right=True)  # the GIL's other question: the first is not due yet
    clock.set(datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
    await answer(chat, "celery", right=False)

    reply = only(await chat.say("/stats"))
    assert isinstance(reply, Message) and "Answered: 3" in reply.markdown
    data = reply.picture
    assert data is not None and data.today == date(2026, 3, 5)
    assert len(data.answers) == HISTORY_DAYS and data.first_day == date(2025, 12, 12)
    assert data.answers[-4:] == (2, 0, 0, 1) and sum(data.answers) == 3
    # Reviewed three days ago, the GIL has faded a little; Celery, reviewed today, has not.
    assert [(t.title, t.questions) for t in data.topics] == [("The GIL", 2), ("Celery", 1)]
    assert data.topics[0].retrievability < 1.0 == data.topics[1].retrievability
    # All three come back within minutes (the GIL's are overdue by now): all due today.
    assert data.due == (3,) + (0,) * 13


async def test_stats_picture_holds_only_the_persons_own_data(core):
    ada, bob = FakeChat.private(core, "1", "Ada"), FakeChat.private(core, "2", "Bob")
    await answer(ada, "gil", right=True)
    data = only(await bob.say("/stats")).picture
    assert data is not None and data.is_empty
    assert "nothing yet" in data.summary()


def test_due_days_are_the_persons_local_days_with_overdue_today():
    today = date(2026, 3, 5)
    cards = [
        CardHold("A", 0.9, datetime(2026, 3, 1, 12, tzinfo=UTC)),  # overdue: today
        CardHold("A", 0.7, datetime(2026, 3, 5, 23, 30, tzinfo=UTC)),  # Mar 6 in Berlin
        CardHold("B", 0.5, datetime(2026, 3, 19, 12, tzinfo=UTC)),  # 14 days on: not shown
    ]
    data = build_progress_data(today, "Europe/Berlin", {}, cards)
    assert data.due[:2] == (1, 1) and sum(data.due) == 2
    assert [(t.title, round(t.retrievability, 2)) for t in data.topics] == [
        ("B", 0.5),
        ("A", 0.8),
    ]
