"""The outbox: replies are kept with their update in the handling's transaction, until the
adapter is done sending them; a process that died leaves them for the next one."""

import logging

from bot.core.events import ChatRef, Command, PersonRef
from bot.core.handler import Core
from bot.core.replies import (
    Button,
    CardPrompt,
    ChoicePrompt,
    Message,
    decode_replies,
    encode_replies,
)
from bot.core.srs import make_scheduler

ADA = PersonRef("telegram", "42", "Ada")
ADA_DM = ChatRef("telegram", "42")
GROUP = ChatRef("telegram", "-100", is_group=True, title="Study group")


async def handle_from_inbox(core: Core, key: str, event) -> list:
    await core.receive("telegram", [(key, "{}")])
    return await core.handle(event, inbox_key=key)


async def restarted(core: Core, clock) -> Core:
    """A new process on the same database, a few seconds later: nothing of the first one's
    memory."""
    clock.advance(seconds=5)
    fresh = Core(core.db, clock=clock, scheduler=make_scheduler(fuzzing=False))
    await fresh.load_topics()
    return fresh


async def test_replies_of_a_process_that_died_are_sent_by_the_next(core, clock):
    replies = await handle_from_inbox(core, "u1", Command(ADA, ADA_DM, "quiz", "gil"))
    assert isinstance(replies[0], ChoicePrompt)

    unsent = await (await restarted(core, clock)).unsent("telegram")
    assert unsent == [("u1", "42", replies)]


async def test_replies_the_adapter_sent_are_not_sent_again(core, clock):
    await handle_from_inbox(core, "u1", Command(ADA, ADA_DM, "quiz", "gil"))
    core.looked_at("u1")
    await core.close()  # what rides along is written
    assert await (await restarted(core, clock)).unsent("telegram") == []


async def test_kept_replies_are_taken_once(core, clock):
    await handle_from_inbox(core, "u1", Command(ADA, ADA_DM, "quiz", "gil"))
    assert len(await (await restarted(core, clock)).unsent("telegram")) == 1
    assert await (await restarted(core, clock)).unsent("telegram") == []


async def test_a_process_leaves_the_replies_of_its_own_updates_alone(core, clock):
    clock.advance(seconds=5)
    await handle_from_inbox(core, "u1", Command(ADA, ADA_DM, "quiz", "gil"))
    assert await core.unsent("telegram") == []


async def test_stale_replies_are_dropped_with_a_log_line(core, clock, caplog):
    await handle_from_inbox(core, "u1", Command(ADA, ADA_DM, "quiz", "gil"))
    clock.advance(minutes=4)
    with caplog.at_level(logging.WARNING):
        assert await (await restarted(core, clock)).unsent("telegram") == []
    assert "dropped the unsent replies to 1 updates handled more than 3 minutes ago" in caplog.text


async def test_a_private_reply_in_a_group_is_not_kept(core, clock):
    replies = await handle_from_inbox(core, "u1", Command(ADA, GROUP, "stats", ""))
    assert isinstance(replies[0], Message) and replies[0].private
    assert await (await restarted(core, clock)).unsent("telegram") == []


async def test_an_explanation_is_kept_as_its_topic_and_sent_whole(core, clock):
    replies = await handle_from_inbox(core, "u1", Command(ADA, ADA_DM, "explain", "gil"))
    ((_key, _chat, resent),) = await (await restarted(core, clock)).unsent("telegram")
    assert resent == replies


def test_kept_replies_come_back_field_for_field_buttons_included():
    replies = [
        Message("**Right!**", buttons=(Button("Next question", "next"),), replace=True),
        CardPrompt(
            7, "The GIL", "What does it lock?", header="Daily", buttons=(Button("Show", "r:7"),)
        ),
        ChoicePrompt(8, "Docker", "Which layer?", ("a", "b"), 1, "because", time_limit=30),
    ]

    assert decode_replies(encode_replies(replies), lambda _topic: None) == replies
