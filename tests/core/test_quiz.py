from bot.core import actions
from bot.core.events import PersonRef
from bot.core.replies import AnswerTally, CardPrompt, ChoicePrompt, Message
from tests.fakes.chat import FakeChat, labels, only, text_of


async def test_first_quiz_asks_a_new_question_in_bank_order(core):
    reply = only(await FakeChat.private(core).say("/quiz"))
    assert isinstance(reply, ChoicePrompt)
    assert reply.topic_title == "Celery"  # celery.md sorts before gil.md
    assert reply.prompt == "What does the broker do?"
    assert reply.options[reply.correct_index] == "Carries task messages to workers"


async def test_new_questions_interleave_topics(core):
    chat = FakeChat.private(core)
    first = only(await chat.say("/quiz"))
    await chat.press(actions.answer(first.ask_id, first.correct_index))
    second = only(await chat.say("/quiz"))
    assert isinstance(second, ChoicePrompt)
    assert second.topic_title == "The GIL"


async def test_right_answer_says_right_and_when_it_returns(core):
    chat = FakeChat.private(core)
    question = only(await chat.say("/quiz gil"))
    verdict = only(await chat.press(actions.answer(question.ask_id, question.correct_index)))
    assert isinstance(verdict, Message)
    assert "Right" in verdict.markdown
    assert "comes back in 10 minutes" in verdict.markdown
    assert labels(verdict) == ["Next question", "Explain The GIL"]


async def test_wrong_answer_says_wrong_and_shows_the_right_option(core):
    chat = FakeChat.private(core)
    question = only(await chat.say("/quiz gil"))
    wrong = (question.correct_index + 1) % len(question.options)
    verdict = only(await chat.press(actions.answer(question.ask_id, wrong)))
    assert "Wrong" in verdict.markdown
    assert "One thread running bytecode at a time" in verdict.markdown
    assert "comes back in 1 minute" in verdict.markdown


async def test_overdue_question_comes_before_new_ones(core, clock):
    chat = FakeChat.private(core)
    first = only(await chat.say("/quiz"))
    wrong = (first.correct_index + 1) % len(first.options)
    await chat.press(actions.answer(first.ask_id, wrong))  # back in 1 minute
    clock.advance(minutes=5)
    again = only(await chat.say("/quiz"))
    assert isinstance(again, ChoicePrompt)
    assert again.prompt == first.prompt


async def test_most_overdue_question_comes_first(core, clock):
    chat = FakeChat.private(core)
    first = only(await chat.say("/quiz gil"))
    await chat.press(actions.answer(first.ask_id, 0))  # wrong, due in 1 minute
    assert first.correct_index != 0
    clock.advance(seconds=30)
    second = only(await chat.say("/quiz celery"))
    await chat.press(actions.answer(second.ask_id, 0))  # wrong, due 30 s after the first
    assert second.correct_index != 0
    clock.advance(hours=1)
    assert only(await chat.say("/quiz")).prompt == first.prompt


async def test_quiz_says_when_next_question_is_due_when_nothing_is_left(core, clock):
    chat = FakeChat.private(core)
    while True:
        reply = only(await chat.say("/quiz"))
        if isinstance(reply, ChoicePrompt):
            await chat.press(actions.answer(reply.ask_id, reply.correct_index))
        elif isinstance(reply, CardPrompt):
            await chat.press(actions.reveal(reply.ask_id))
            await chat.press(actions.rate(reply.ask_id, 4))
        else:
            break
    assert "Nothing is due right now" in reply.markdown
    assert "Your next review is in" in reply.markdown


async def test_quiz_on_a_topic_stays_in_that_topic(core):
    reply = only(await FakeChat.private(core).say("/quiz celry"))
    assert reply.topic_title == "Celery"


async def test_quiz_on_unknown_topic_says_so_and_changes_nothing(core):
    chat = FakeChat.private(core)
    reply = only(await chat.say("/quiz quantum knitting"))
    assert "No topic matches" in reply.markdown
    assert only(await chat.say("/stats")).markdown.startswith("You have not answered")


async def test_card_shows_answer_then_takes_a_rating(core):
    chat2 = FakeChat.private(core, person_id="2")
    for _ in range(2):
        question = only(await chat2.say("/quiz gil"))
        await chat2.press(actions.answer(question.ask_id, question.correct_index))
    card = only(await chat2.say("/quiz gil"))
    assert isinstance(card, CardPrompt)
    assert labels(card) == ["Show answer"]
    shown = only(await chat2.press(actions.reveal(card.ask_id)))
    assert shown.replace and "switch interval" in shown.markdown
    assert labels(shown) == ["Again", "Hard", "Good", "Easy"]
    rated = only(await chat2.press(actions.rate(card.ask_id, 3)))
    assert "You rated it **Good**" in rated.markdown


async def test_double_click_is_graded_once(core):
    chat = FakeChat.private(core)
    question = only(await chat.say("/quiz"))
    await chat.press(actions.answer(question.ask_id, question.correct_index))
    again = only(await chat.press(actions.answer(question.ask_id, 0)))
    assert "already answered" in again.markdown
    stats = only(await chat.say("/stats"))
    assert "Answered: 1" in stats.markdown


async def test_answer_out_of_range_is_refused_and_changes_nothing(core):
    chat = FakeChat.private(core)
    question = only(await chat.say("/quiz"))
    reply = only(await chat.press(actions.answer(question.ask_id, 7)))
    assert "between 1 and 3" in reply.markdown
    assert reply.private
    assert only(await chat.say("/stats")).markdown.startswith("You have not answered")


async def test_someone_elses_button_is_refused(core):
    ada = FakeChat.private(core, "1", "Ada")
    question = only(await ada.say("/quiz"))
    bob = FakeChat(core, PersonRef("test", "2", "Bob"), ada.chat)
    reply = only(await bob.press(actions.answer(question.ask_id, question.correct_index)))
    assert "not for you" in reply.markdown


async def test_forged_button_data_gets_a_polite_reply(core):
    chat = FakeChat.private(core)
    for forged in ["answer:999999:0", "answer:x:y", "rate:1", "", "a" * 100, "explode:1"]:
        reply = only(await chat.press(forged))
        assert isinstance(reply, Message)
        assert "Try /quiz" in reply.markdown


async def test_group_question_is_graded_for_each_member(core):
    base = FakeChat.private(core)
    ada = base.in_group("1", "Ada")
    bob = base.in_group("2", "Bob")
    question = only(await ada.say("/quiz"))
    ada_verdict, tally = await ada.press(actions.answer(question.ask_id, question.correct_index))
    assert ada_verdict.private and "Right" in ada_verdict.markdown
    assert tally == AnswerTally(question.ask_id, 1)
    bob_verdict, tally = await bob.press(actions.answer(question.ask_id, 0))
    assert "Wrong" in bob_verdict.markdown
    assert tally.answers == 2
    board = only(await bob.say("/leaderboard"))
    assert "1. Ada: 1" in board.markdown
    assert "Bob" not in board.markdown


async def test_leaderboard_in_private_chat_explains_it_is_for_groups(core):
    reply = only(await FakeChat.private(core).say("/leaderboard"))
    assert "for groups" in reply.markdown


async def test_plain_chatter_in_groups_gets_no_reply(core):
    group = FakeChat.private(core).in_group("1", "Ada")
    assert await group.say("hello everyone") == []


async def test_plain_text_in_private_gets_a_hint(core):
    reply = only(await FakeChat.private(core).say("hello"))
    assert "/help" in text_of(reply)
