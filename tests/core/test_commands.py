from bot.core import actions
from bot.core.commands import COMMANDS, parse_command
from bot.core.replies import Explanation, Message
from tests.fakes.chat import FakeChat, labels, only


def test_parse_command_strips_bot_name_and_lowercases():
    assert parse_command("/Quiz@RevisionBot  gil ") == ("quiz", "gil")
    assert parse_command("/quiz@OtherBot gil", bot_username="RevisionBot") is None
    assert parse_command("hello") is None
    assert parse_command("/") is None


async def test_help_lists_every_public_command(core):
    reply = only(await FakeChat.private(core).say("/help"))
    for command in COMMANDS:
        assert (command.usage in reply.markdown) != command.admin_only


async def test_start_welcomes_and_offers_a_quiz(core):
    reply = only(await FakeChat.private(core).say("/start"))
    assert "Welcome" in reply.markdown
    assert labels(reply) == ["Start a quiz", "Topics"]


async def test_topics_lists_topics_as_buttons(core):
    reply = only(await FakeChat.private(core).say("/topics"))
    assert labels(reply) == ["Celery", "The GIL"]


async def test_unknown_command_hints_at_help(core):
    reply = only(await FakeChat.private(core).say("/frobnicate"))
    assert reply.markdown == "I don't know /frobnicate. Type /help to see what I can do."


async def test_very_long_argument_is_refused(core):
    reply = only(await FakeChat.private(core).say("/explain " + "x" * 5000))
    assert isinstance(reply, Message) and "too long" in reply.markdown


async def test_explain_finds_topic_despite_typo(core):
    reply = only(await FakeChat.private(core).say("/explain globel interpeter lock"))
    assert isinstance(reply, Explanation) and reply.topic_id == "gil"
    assert labels(reply) == ["Quiz me on The GIL", "See also: Celery"]


async def test_explanation_ends_with_its_references_on_every_platform(core):
    reply = only(await FakeChat.private(core).say("/explain gil"))
    assert reply.markdown.endswith(
        "**Read more:** [docs.python.org]"
        "(https://docs.python.org/3/glossary.html#term-global-interpreter-lock)"
    )


async def test_explain_understands_a_question(core):
    reply = only(await FakeChat.private(core).say("/explain What is the GIL?"))
    assert isinstance(reply, Explanation) and reply.title == "The GIL"


async def test_explain_without_match_says_so_and_suggests(core):
    reply = only(await FakeChat.private(core).say("/explain task worker"))
    assert isinstance(reply, Message)
    assert reply.markdown == "No topic matches “task worker”. Did you mean: Celery?"
    assert labels(reply) == ["Celery"]


async def test_explain_with_nothing_close_points_to_topics(core):
    reply = only(await FakeChat.private(core).say("/explain zzzz qqqq"))
    assert "Type /topics" in reply.markdown


async def test_explain_without_argument_asks_what_to_explain(core):
    reply = only(await FakeChat.private(core).say("/explain"))
    assert "What should I explain?" in reply.markdown


async def test_admin_commands_are_refused_to_others(core):
    reply = only(await FakeChat.private(core).say("/reload"))
    assert "not allowed" in reply.markdown


async def test_explain_a_comparison_of_two_topics_explains_both(core):
    replies = await FakeChat.private(core).say("/explain gil vs celery")
    assert [r.topic_id for r in replies if isinstance(r, Explanation)] in (
        ["gil", "celery"],
        ["celery", "gil"],
    )


async def test_explain_of_a_concept_the_bank_lacks_says_so_plainly(core):
    reply = only(await FakeChat.private(core).say("/explain kubernetes"))
    assert reply.markdown == "No topic matches “kubernetes”. Type /topics to see them all."
    assert labels(reply) == []


async def test_quiz_takes_a_level_and_a_topic(core):
    chat = FakeChat.private(core)
    question = only(await chat.say("/quiz senior gil"))
    assert question.prompt == "Do threads help an I/O-bound program?"
    nothing = only(await chat.say("/quiz junior gil"))
    assert "at junior level in The GIL" in nothing.markdown


async def test_level_sets_the_default_of_quiz_and_any_clears_it(core):
    chat = FakeChat.private(core)
    assert "junior" in only(await chat.say("/level junior")).markdown
    assert only(await chat.say("/quiz")).prompt == "What does the broker do?"
    assert "is not a level" in only(await chat.say("/level expert")).markdown
    assert "every level" in only(await chat.say("/level any")).markdown
    assert "every level" in only(await chat.say("/level")).markdown


async def test_stats_shows_the_quiz_level(core):
    chat = FakeChat.private(core)
    await chat.say("/level senior")
    question = only(await chat.say("/quiz"))
    await chat.press(actions.answer(question.ask_id, question.correct_index))
    assert (
        "- /quiz level: senior (change it with /level)" in only(await chat.say("/stats")).markdown
    )
