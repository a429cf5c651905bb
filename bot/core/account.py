"""The person's own settings and data: `/start`, `/level`, `/forget`."""

from __future__ import annotations

from bot.bank.model import LEVELS
from bot.core import actions
from bot.core.link import platform_list
from bot.core.lookup import parse_level
from bot.core.replies import Button, Message, Reply
from bot.core.turn import Turn
from bot.store import event_queries, learners, queries

__all__ = ["confirm_forget", "forget", "level", "welcome"]


def welcome(_turn: Turn, _args: str = "") -> list[Reply]:
    text = (
        "👋 **Welcome to revision-bot.** I drill Python and Django interview topics with "
        "spaced repetition: what you miss comes back sooner, what you know comes back later.\n\n"
        "- /quiz asks the question you most need now (/quiz senior for the hard ones)\n"
        "- /explain gil explains a topic (typos are fine)\n"
        "- /daily 08:00 Europe/Berlin sends a question every day\n"
        "- /help lists everything"
    )
    buttons = (Button("Start a quiz", actions.quiz()), Button("Topics", actions.topics()))
    return [Message(text, buttons=buttons)]


def level(turn: Turn, args: str) -> list[Reply]:
    """`/level` shows the default level of `/quiz`; `/level senior` sets it; `/level any`
    clears it."""
    word = args.strip().lower()
    choices = ", ".join(f"`/level {name}`" for name in LEVELS)
    if not word:
        current = turn.person.level
        if current is None:
            return [Message(f"/quiz asks questions of every level. Pick one with {choices}.")]
        return [
            Message(f"/quiz asks **{current}** questions. `/level any` asks every level again.")
        ]
    if word in {"any", "all", "off"}:
        event_queries.change_person(turn.tx, turn.person, level=None)
        return [Message("Done: /quiz asks questions of every level.")]
    chosen, rest = parse_level(word)
    if chosen is None or rest:
        return [Message(f"“{args[:30]}” is not a level. Use {choices} or `/level any`.")]
    event_queries.change_person(turn.tx, turn.person, level=chosen)
    return [
        Message(
            f"Done: /quiz now asks **{chosen}** questions. "
            "`/quiz junior` (or mid, senior) still picks another level once."
        )
    ]


def confirm_forget(turn: Turn, _args: str = "") -> list[Reply]:
    together = learners.members(turn.session, turn.person.id)
    where = (
        "on this platform"
        if len(together) == 1
        else f"on every platform you linked ({platform_list(together)}), and those links"
    )
    return [
        Message(
            "This deletes your answers, your schedule, your daily question and your streak, "
            f"{where}. It cannot be undone. Delete everything?",
            buttons=(
                Button("Yes, delete everything", actions.forget(confirm=True)),
                Button("Cancel", actions.forget(confirm=False)),
            ),
            private=True,
        )
    ]


def forget(turn: Turn, confirmed: bool) -> list[Reply]:
    if not confirmed:
        return [Message("Nothing was deleted.", replace=True)]
    queries.forget_person(turn.session, turn.person.id)
    return [
        Message("Done: everything stored about you is deleted. /start begins afresh.", replace=True)
    ]
