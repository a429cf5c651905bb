"""Whatever people type or a client sends back, the core answers plainly and never raises.

Hypothesis generates the input; the examples run against one database, as a busy bot would.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import actions
from bot.core.commands import COMMANDS
from bot.core.events import ButtonPress, ChatRef, Command, PersonRef, Text
from bot.core.replies import Message
from tests.fakes.chat import FakeChat

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI is repeatable
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Any Unicode a chat can carry: control characters, right-to-left marks, emoji, up to 4,096.
chat_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=4096
) | st.sampled_from(["\u202e/quiz", "/quiz \x00", "/daily 25:99 ../../etc", "' OR 1=1 --"])
PERSON = PersonRef("test", "fuzz", "Fuzz \u202eeman")


@FUZZ
@given(name=st.sampled_from([c.name for c in COMMANDS]), args=chat_text)
async def test_any_command_arguments_get_a_reply_not_an_exception(core, name, args):
    replies = await core.handle(Command(PERSON, ChatRef("test", "dm-fuzz"), name, args))
    assert replies, f"/{name} {args!r} got no reply"


@FUZZ
@given(text=chat_text, in_group=st.booleans())
async def test_any_text_is_answered_or_ignored_in_groups(core, text, in_group):
    chat = ChatRef("test", "group-fuzz" if in_group else "dm-fuzz", is_group=in_group)
    replies = await core.handle(Text(PERSON, chat, text))
    assert replies == [] if in_group else len(replies) == 1


forged_actions = (
    st.text(max_size=80)
    | st.builds(actions.answer, st.integers(-(2**63), 2**63), st.integers(-5, 50))
    | st.builds(actions.rate, st.integers(-(2**63), 2**63), st.integers(-5, 50))
    | st.builds(actions.reveal, st.integers(-(2**63), 2**63))
    | st.builds(actions.explain, st.text(min_size=1, max_size=40).filter(lambda t: ":" not in t))
    | st.builds(actions.quiz, st.text(max_size=40))
)


@FUZZ
@given(action=forged_actions)
async def test_forged_button_data_is_refused_plainly(core, action):
    replies = await core.handle(ButtonPress(PERSON, ChatRef("test", "dm-fuzz"), action))
    assert replies and all(not isinstance(r, Message) or r.markdown for r in replies)


async def test_someone_elses_button_does_nothing_for_them(core):
    question = (await FakeChat.private(core, "1", "Ada").say("/quiz"))[0]
    press = actions.answer(question.ask_id, question.correct_index)
    (refusal,) = await FakeChat.private(core, "2", "Bob").press(press)
    assert "not for you" in refusal.markdown
    (stats,) = await FakeChat.private(core, "2", "Bob").say("/stats")
    assert stats.markdown.startswith("You have not answered")
