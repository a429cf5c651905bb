import re

from bot.core import actions
from bot.core.events import ChatRef, PersonRef
from bot.core.replies import ChoicePrompt, Message
from tests.fakes.chat import FakeChat, only, text_of


def on(core, platform: str, person_id: str = "7", name: str = "Ada") -> FakeChat:
    return FakeChat(
        core, PersonRef(platform, person_id, name), ChatRef(platform, f"dm-{person_id}")
    )


async def link_code(chat: FakeChat) -> str:
    reply = only(await chat.say("/link"))
    found = re.search(r"`/link ([A-Z0-9]{4}-[A-Z0-9]{4})`", text_of(reply))
    assert found, text_of(reply)
    return found.group(1)


async def answer_right(chat: FakeChat, topic: str = "") -> ChoicePrompt:
    question = only(await chat.say(f"/quiz {topic}".strip()))
    assert isinstance(question, ChoicePrompt)
    await chat.press(actions.answer(question.ask_id, question.correct_index))
    return question


async def stats_text(chat: FakeChat) -> str:
    return "\n".join(text_of(reply) for reply in await chat.say("/stats"))


async def test_link_joins_two_platforms_into_one_progress(core):
    telegram, slack = on(core, "telegram"), on(core, "slack", "U7")
    await answer_right(telegram)
    code = await link_code(telegram)

    joined = only(await slack.say(f"/link {code}"))
    assert "Linked" in text_of(joined) and "Telegram and Slack" in text_of(joined)
    assert "Answered: 1" in await stats_text(slack)

    await answer_right(slack)
    assert "Answered: 2" in await stats_text(telegram)


async def test_linked_learner_is_not_asked_again_what_the_other_side_answered(core):
    telegram, slack = on(core, "telegram"), on(core, "slack", "U7")
    first = await answer_right(telegram)
    await slack.say(f"/link {await link_code(telegram)}")
    second = only(await slack.say("/quiz"))
    assert isinstance(second, ChoicePrompt) and second.prompt != first.prompt


async def test_streak_counts_a_day_answered_on_either_side(core, clock):
    telegram, slack = on(core, "telegram"), on(core, "slack", "U7")
    await answer_right(telegram)
    clock.advance(days=1)
    await answer_right(slack, "gil")
    await slack.say(f"/link {await link_code(telegram)}")
    assert "Streak: 2 days" in await stats_text(telegram)


async def test_spent_code_is_refused(core):
    telegram, slack, terminal = on(core, "telegram"), on(core, "slack", "U7"), on(core, "console")
    code = await link_code(telegram)
    await slack.say(f"/link {code}")
    refused = only(await terminal.say(f"/link {code}"))
    assert "does not work" in text_of(refused)
    assert "not answered anything yet" in await stats_text(terminal)


async def test_wrong_and_expired_codes_get_the_same_answer(core, clock):
    telegram, slack = on(core, "telegram"), on(core, "slack", "U7")
    code = await link_code(telegram)
    wrong = text_of(only(await slack.say("/link ABCD-EFGH")))
    clock.advance(minutes=11)
    expired = text_of(only(await slack.say(f"/link {code}")))
    assert wrong == expired and "does not work" in wrong


async def test_ten_wrong_codes_lock_link_for_an_hour(core, clock):
    telegram, slack = on(core, "telegram"), on(core, "slack", "U7")
    for guess in range(10):
        await slack.say(f"/link AAAA-AAA{'BCDEFGHJKL'[guess]}")
    code = await link_code(telegram)
    locked = only(await slack.say(f"/link {code}"))
    assert "locked for an hour" in text_of(locked)
    clock.advance(minutes=61)
    code = await link_code(telegram)
    assert "Linked" in text_of(only(await slack.say(f"/link {code}")))


async def test_malformed_code_is_explained_and_not_counted(core):
    slack = on(core, "slack", "U7")
    for _ in range(12):
        reply = only(await slack.say("/link hello"))
        assert "does not look like a link code" in text_of(reply)
    code = await link_code(on(core, "telegram"))
    assert "Linked" in text_of(only(await slack.say(f"/link {code.lower()}")))


async def test_link_in_a_group_is_refused_privately(core):
    group = FakeChat.private(core).in_group("7", "Ada")
    reply = only(await group.say("/link"))
    assert isinstance(reply, Message) and reply.private
    assert "private chat" in reply.markdown


async def test_own_code_says_already_linked(core):
    telegram = on(core, "telegram")
    code = await link_code(telegram)
    assert "linked already" in text_of(only(await telegram.say(f"/link {code}")))


async def test_link_without_code_lists_the_linked_platforms(core):
    telegram, slack = on(core, "telegram"), on(core, "slack", "U7")
    await slack.say(f"/link {await link_code(telegram)}")
    reply = only(await slack.say("/link"))
    assert "You study as one learner on Telegram and Slack." in text_of(reply)


async def test_two_accounts_on_one_platform_are_not_joined(core):
    first, second = on(core, "telegram", "1"), on(core, "telegram", "2")
    reply = only(await second.say(f"/link {await link_code(first)}"))
    assert "joins different platforms" in text_of(reply)


async def test_unlink_keeps_a_copy_of_the_progress(core):
    telegram, slack = on(core, "telegram"), on(core, "slack", "U7")
    await answer_right(telegram)
    await slack.say(f"/link {await link_code(telegram)}")
    reply = only(await slack.say("/unlink"))
    assert "keeps a copy" in text_of(reply)

    await answer_right(telegram, "gil")
    assert "Answered: 2" in await stats_text(telegram)
    assert "Answered: 1" in await stats_text(slack)


async def test_the_first_platform_can_unlink_too(core):
    telegram, slack = on(core, "telegram"), on(core, "slack", "U7")
    await answer_right(telegram)
    await slack.say(f"/link {await link_code(telegram)}")
    await telegram.say("/unlink")
    await answer_right(slack, "gil")
    assert "Answered: 2" in await stats_text(slack)
    assert "Answered: 1" in await stats_text(telegram)


async def test_unlink_when_not_linked_says_so(core):
    reply = only(await on(core, "telegram").say("/unlink"))
    assert "not linked" in text_of(reply)


async def test_forget_warns_of_and_deletes_every_linked_platform(core):
    telegram, slack = on(core, "telegram"), on(core, "slack", "U7")
    await answer_right(telegram)
    await slack.say(f"/link {await link_code(telegram)}")
    warning = only(await slack.say("/forget"))
    assert "on every platform you linked (Telegram and Slack)" in text_of(warning)
    await slack.press(actions.forget(confirm=True))
    assert "not answered anything yet" in await stats_text(telegram)


async def test_leaderboard_shows_a_linked_learner_under_their_name_here(core):
    telegram = on(core, "telegram", "7", "Ada T")
    slack_dm = on(core, "slack", "U7", "ada.slack")
    await slack_dm.say(f"/link {await link_code(telegram)}")
    channel = FakeChat(
        core, PersonRef("slack", "U7", "ada.slack"), ChatRef("slack", "C1", is_group=True)
    )
    question = only(await channel.say("/quiz"))
    await channel.press(actions.answer(question.ask_id, question.correct_index))
    board = text_of(only(await channel.say("/leaderboard")))
    assert "ada.slack" in board and "Ada T" not in board


async def test_link_ends_a_round_the_joining_side_had_running(core):
    telegram, slack = on(core, "telegram"), on(core, "slack", "U7")
    await slack.say("/interview 2 gil")
    joined = only(await slack.say(f"/link {await link_code(telegram)}"))
    assert "Linked" in text_of(joined)
    restarted = await slack.say("/interview 2 gil")
    assert isinstance(restarted[-1], ChoicePrompt)


def schedule_of(db, platform: str, question_prompt: str):
    from sqlalchemy import select

    from bot.store.models import Person, Question, Schedule

    with db.read_session() as session:
        return session.execute(
            select(Schedule.due, Schedule.stability, Schedule.difficulty)
            .join(Person, Person.id == Schedule.person_id)
            .join(Question, Question.id == Schedule.question_id)
            .where(Person.platform == platform, Question.prompt == question_prompt)
        ).one()


async def test_a_question_answered_on_both_sides_is_rescheduled_from_the_merged_history(
    core, clock, db
):
    telegram, slack = on(core, "telegram"), on(core, "slack", "U7")
    one_schedule = on(core, "console", "c")  # answers the same, on one schedule
    for chat in (telegram, one_schedule):
        question = only(await chat.say("/quiz gil"))
        wrong = (question.correct_index + 1) % len(question.options)
        await chat.press(actions.answer(question.ask_id, wrong))
    clock.advance(days=1)
    for chat in (slack, one_schedule):
        again = await answer_right(chat, "gil")
    assert again.prompt == question.prompt  # the same question on every side

    await slack.say(f"/link {await link_code(telegram)}")
    assert schedule_of(db, "telegram", question.prompt) == schedule_of(
        db, "console", question.prompt
    )
