import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core import actions
from bot.core.interview_pick import pick
from bot.core.replies import AnswerTally, CardPrompt, ChoicePrompt, Expired, Message
from bot.core.srs import Recall
from bot.store.interviews import Candidate
from bot.store.models import Interview, InterviewAnswer
from tests.conftest import round_ticker
from tests.fakes.adapter import RecordingAdapter
from tests.fakes.chat import FakeChat, labels, only

# The fixture bank: celery-broker (choice, junior, right: 2), celery-beat (card, mid),
# gil-one-thread (choice, mid, right: 1), gil-io (choice, senior, right: 0), gil-release (card).
RIGHT = {
    "What does the broker do?": 2,
    "What does the GIL allow?": 1,
    "Do threads help an I/O-bound program?": 0,
}


@pytest.fixture
def adapter() -> RecordingAdapter:
    return RecordingAdapter()


@pytest.fixture
def ticker(core, adapter):
    return round_ticker(core, {"test": adapter})


async def start(chat: FakeChat, args: str = "") -> ChoicePrompt | CardPrompt:
    intro, prompt = await chat.say(f"/interview {args}".strip())
    assert isinstance(intro, Message) and "Mock interview" in intro.markdown
    assert isinstance(prompt, ChoicePrompt | CardPrompt)
    return prompt


async def answer(chat: FakeChat, prompt, *, right: bool = True, rating: int = Recall.GOOD):
    """Answer the prompt (a card: reveal, then rate); the replies that follow."""
    if isinstance(prompt, ChoicePrompt):
        option = RIGHT[prompt.prompt] if right else (RIGHT[prompt.prompt] + 1) % 3
        return await chat.press(actions.answer(prompt.ask_id, option))
    revealed = only(await chat.press(actions.reveal(prompt.ask_id)))
    assert "How well did you remember it?" in revealed.markdown
    return await chat.press(actions.rate(prompt.ask_id, rating))


def next_prompt(replies) -> ChoicePrompt | CardPrompt:
    prompt = replies[-1]
    assert isinstance(prompt, ChoicePrompt | CardPrompt), replies
    return prompt


async def test_interview_asks_every_topic_in_turn_with_a_time_limit(core):
    chat = FakeChat.private(core)
    prompt = await start(chat)
    assert prompt.time_limit == 60
    assert prompt.header == "Mock interview · question 1 of 5 · 60 s, until 09:01:00 UTC"
    seen = [prompt.topic_title]
    for _ in range(4):
        prompt = next_prompt(await answer(chat, prompt))
        seen.append(prompt.topic_title)
    assert seen[:4] == ["Celery", "The GIL", "Celery", "The GIL"]


async def test_answers_get_no_verdict_and_the_last_brings_the_scorecard(core, clock):
    chat = FakeChat.private(core)
    prompt = await start(chat)
    wrong_once = True
    while True:
        clock.advance(seconds=10)
        is_choice = isinstance(prompt, ChoicePrompt)
        replies = await answer(chat, prompt, right=not (is_choice and wrong_once))
        wrong_once = wrong_once and not is_choice
        for reply in replies:
            text = getattr(reply, "markdown", "")
            assert "Right!" not in text and "Wrong." not in text
        if is_choice:
            assert isinstance(replies[0], Expired) and replies[0].markdown == "Answered in 10 s."
        if not isinstance(replies[-1], ChoicePrompt | CardPrompt):
            break
        prompt = replies[-1]
    card = replies[-1]
    assert isinstance(card, Message)
    text = card.markdown
    assert text.startswith("**Mock interview: 4 of 5 right** (80%)")
    assert "Time: 50 s answering, 10 s a question on average." in text
    assert "1. ❌ Celery (junior) · 10 s" in text
    assert "2. ✅ The GIL (mid) · 10 s" in text
    assert "✅ Celery (mid) · rated Good · 10 s" in text
    assert "- Celery: 1 of 2" in text and "- The GIL: 3 of 3" in text
    assert "**Missed**" in text and "What does the broker do?" in text
    assert "**Answer:** Carries task messages to workers." in text
    assert "Producers publish messages to the broker" in text
    assert text.endswith(
        "**Verdict:** solid on mid-level and senior The GIL, mid-level Celery; "
        "junior Celery needs work."
    )
    assert labels(card) == ["Study Celery", "Study The GIL"]


async def test_round_answers_go_into_the_schedule(core, clock):
    chat = FakeChat.private(core)
    prompt = await start(chat, "2")
    await answer(chat, next_prompt(await answer(chat, prompt)))
    stats = only(await chat.say("/stats"))
    assert "- Answered: 2" in stats.markdown
    assert "- Last mock interviews: 2/2 on 02 Mar" in stats.markdown


async def test_a_late_answer_counts_as_timed_out(core, clock):
    chat = FakeChat.private(core)
    prompt = await start(chat, "1 celery junior")
    clock.advance(seconds=75)
    closed, card = await chat.press(actions.answer(prompt.ask_id, RIGHT[prompt.prompt]))
    assert closed.markdown == "⏱ 75 s: over the 60 s limit, counted as timed out."
    assert card.markdown.startswith("**Mock interview: 0 of 1 right**")
    assert "1. ⏱ Celery (junior) · timed out" in card.markdown


async def test_a_card_revealed_too_late_counts_as_timed_out(core, clock):
    chat = FakeChat.private(core)
    prompt = await start(chat, "1 celery mid")
    assert isinstance(prompt, CardPrompt) and prompt.time_limit == 60
    clock.advance(seconds=61)
    closed, card = await chat.press(actions.reveal(prompt.ask_id))
    assert "counted as timed out" in closed.markdown
    assert "⏱ Celery (mid) · timed out" in card.markdown


async def test_the_ticker_times_out_a_question_once_and_asks_the_next(core, clock, ticker, adapter):
    chat = FakeChat.private(core)
    prompt = await start(chat, "2 gil")
    clock.advance(seconds=59)
    assert await ticker.tick() == 0
    clock.advance(seconds=2)
    assert await ticker.tick() == 1
    ((chat_id, (closed, following)),) = adapter.delivered
    assert chat_id == "dm-1"
    assert (closed.ask_id, closed.markdown) == (prompt.ask_id, "⏱ Time's up (60 s).")
    assert closed.prompt == prompt.prompt
    assert isinstance(following, ChoicePrompt | CardPrompt)
    assert "question 2 of 2" in following.header
    assert await ticker.tick() == 0
    clock.advance(seconds=61)
    await ticker.tick()
    card = adapter.delivered[-1][1][-1]
    assert "0 of 2 right" in card.markdown and card.markdown.count("timed out") == 2


async def test_two_tickers_time_a_question_out_once(core, clock, adapter):
    chat = FakeChat.private(core)
    await start(chat)
    clock.advance(seconds=61)
    first, second = round_ticker(core, {"test": adapter}), round_ticker(core, {"test": adapter})
    sent = await asyncio.gather(first.tick(), second.tick())
    assert sorted(sent) == [0, 1]
    assert len(adapter.delivered) == 1


async def test_an_answer_after_the_ticker_timed_it_out_is_refused(core, clock, ticker):
    chat = FakeChat.private(core)
    prompt = await start(chat)
    clock.advance(seconds=61)
    await ticker.tick()
    reply = only(await chat.press(actions.answer(prompt.ask_id, 0)))
    assert reply.markdown == "That question's time is over."


async def test_stop_ends_the_round_with_a_partial_scorecard(core, clock):
    chat = FakeChat.private(core)
    prompt = await start(chat)
    clock.advance(seconds=5)
    prompt = next_prompt(await answer(chat, prompt))
    closed, card = await chat.say("/interview stop")
    assert isinstance(closed, Expired)
    assert (closed.ask_id, closed.markdown) == (prompt.ask_id, "This round is over.")
    assert "**Mock interview: 1 of 1 right** (100%), stopped early after 1 of 5" in card.markdown
    assert only(await chat.say("/interview stop")).markdown.startswith("No round is running")
    assert only(await chat.press(actions.answer(prompt.ask_id, 0))).markdown == (
        "That question's time is over."
    )


async def test_one_round_at_a_time_and_asking_again_shows_its_question(core):
    chat = FakeChat.private(core)
    prompt = await start(chat)
    on, again = await chat.say("/interview 3")
    assert on.markdown.startswith("A round is on: question 1 of 5.")
    assert again.ask_id == prompt.ask_id


async def test_a_round_left_alone_for_30_minutes_ends(core, clock, ticker, adapter):
    chat = FakeChat.private(core)
    prompt = await start(chat, "celery")
    if isinstance(prompt, ChoicePrompt):
        prompt = next_prompt(await answer(chat, prompt))
    await chat.press(actions.reveal(prompt.ask_id))  # a revealed card has no deadline
    clock.advance(minutes=29)
    assert await ticker.tick() == 0
    clock.advance(minutes=1)
    assert await ticker.tick() == 1
    closed, card = adapter.delivered[0][1]
    assert isinstance(closed, Expired)
    assert "ended after 30 minutes without an answer after 1 of 2 questions" in card.markdown
    await start(chat)  # a new round may start


async def test_in_the_terminal_a_round_left_alone_ends_when_you_come_back(core, clock):
    chat = FakeChat.private(core)
    prompt = await start(chat)
    clock.advance(minutes=31)
    closed, card = await chat.press(actions.answer(prompt.ask_id, 0))
    assert isinstance(closed, Expired)
    assert "no question was answered" in card.markdown


@pytest.mark.parametrize(
    ("args", "count", "topics"),
    [
        ("2", 2, {"Celery", "The GIL"}),
        ("senior", 1, {"The GIL"}),
        ("celery", 2, {"Celery"}),
        ("mid 5 gil", 2, {"The GIL"}),
        ("celery gil", 5, {"Celery", "The GIL"}),
    ],
)
async def test_interview_is_narrowed_by_count_level_and_topics(core, args, count, topics):
    chat = FakeChat.private(core)
    prompt = await start(chat, args)
    assert f"question 1 of {count} " in prompt.header
    titles = {prompt.topic_title}
    while True:
        replies = await answer(chat, prompt)
        if not isinstance(replies[-1], ChoicePrompt | CardPrompt):
            break
        prompt = replies[-1]
        titles.add(prompt.topic_title)
    assert titles == topics


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ("99", "A round has 1 to 30 questions"),
        ("0", "A round has 1 to 30 questions"),
        ("zzzz qqqq", "No topic matches"),
    ],
)
async def test_bad_interview_arguments_get_a_friendly_reply(core, args, complaint):
    reply = only(await FakeChat.private(core).say(f"/interview {args}"))
    assert complaint in reply.markdown


def test_weak_and_due_topics_come_first_then_new_ones_spread_across_topics(clock):
    now = clock()
    due, later = now - timedelta(days=1), now + timedelta(days=3)
    found = [
        Candidate("a1", "a", "mid", 1, later),
        Candidate("a2", "a", "mid", 2, None),
        Candidate("b1", "b", "mid", 3, None),
        Candidate("b2", "b", "mid", 4, None),
        Candidate("c1", "c", "mid", 5, due),
        Candidate("c2", "c", "mid", 6, None),
        Candidate("d1", "d", "mid", 7, later),
    ]
    history = {"d": (4, 1), "a": (4, 4)}
    assert pick(found, history, 4, now) == ["d1", "c1", "a2", "b1"]
    assert pick(found, history, 10, now) == ["d1", "c1", "a2", "b1", "b2", "c2", "a1"]


async def test_a_group_round_counts_every_members_answer_and_ends_with_a_leaderboard(
    core, clock, ticker, adapter
):
    ada = FakeChat.private(core).in_group("1", "Ada")
    bob, cy = ada.in_group("2", "Bob"), ada.in_group("3", "Cy")
    intro, prompt = await ada.say("/interview 2")
    assert "Quiz round for everyone" in intro.markdown
    assert isinstance(prompt, ChoicePrompt) and prompt.time_limit == 30
    right = RIGHT[prompt.prompt]
    clock.advance(seconds=5)
    assert await bob.press(actions.answer(prompt.ask_id, right)) == [AnswerTally(prompt.ask_id, 1)]
    clock.advance(seconds=5)
    await ada.press(actions.answer(prompt.ask_id, right))
    await cy.press(actions.answer(prompt.ask_id, (right + 1) % 3))
    again = only(await bob.press(actions.answer(prompt.ask_id, right)))
    assert "first answer counts" in again.markdown
    clock.advance(seconds=21)
    await ticker.tick()
    ((chat_id, (closed, second)),) = adapter.delivered
    assert chat_id == "group-1" and closed.markdown == "⏱ Time's up: 3 answers."
    right = RIGHT[second.prompt]
    clock.advance(seconds=3)
    await cy.press(actions.answer(second.ask_id, right))
    await ada.press(actions.answer(second.ask_id, right))
    clock.advance(seconds=30)
    await ticker.tick()
    closed, leaderboard, *whispers = adapter.delivered[-1][1]
    board = leaderboard.markdown
    assert board.splitlines()[2:5] == [
        "1. Ada: 2 right, 13 s",
        "2. Bob: 1 right, 5 s",
        "3. Cy: 1 right, 13 s",
    ]
    assert [(w.platform_id, w.markdown.splitlines()[0]) for w in whispers] == [
        ("2", "**Your round: 1 of 1 right**"),
        ("1", "**Your round: 2 of 2 right**"),
        ("3", "**Your round: 1 of 2 right**"),
    ]
    assert "❌ What does the broker do?" in whispers[2].markdown
    assert "**Answer:** Carries task messages to workers" in whispers[2].markdown
    weekly = only(await ada.say("/leaderboard")).markdown
    assert "1. Ada: 2" in weekly


async def test_only_the_starter_or_an_admin_stops_a_group_round(core):
    ada = FakeChat.private(core).in_group("1", "Ada")
    bob = ada.in_group("2", "Bob")
    await ada.say("/interview")
    assert "Only whoever started" in only(await bob.say("/interview stop")).markdown
    reply = only(await bob.say("/interview"))
    assert reply.markdown.startswith("A round is on")
    *_, board = await ada.say("/interview stop")
    assert "nobody answered" in board.markdown


async def test_forget_deletes_the_persons_rounds(core, db):
    chat = FakeChat.private(core)
    await answer(chat, await start(chat))
    await chat.press(actions.forget(confirm=True))
    with db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Interview)) == 0
        assert session.scalar(select(func.count()).select_from(InterviewAnswer)) == 0
