"""`/link` and `/unlink`: one learner, one schedule, on every platform."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta

from bot.core import srs
from bot.core.replies import Message, Reply
from bot.core.turn import Turn
from bot.store import learners
from bot.store.models import Person
from bot.store.rows import PersonRow

__all__ = ["CODE_LIFETIME", "link", "platform_list", "unlink"]

# No 0/O or 1/I: a code is read on one screen and typed on another.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 8
CODE_LIFETIME = timedelta(minutes=10)
_WRONG_CODES_ALLOWED = 10
_LOCKOUT = timedelta(hours=1)

_PLATFORM_NAMES = {"telegram": "Telegram", "slack": "Slack", "console": "the terminal"}

_WRONG_CODE = (
    "That code does not work. A code lasts 10 minutes and works once: send /link where you "
    "already study to get a fresh one."
)


def link(turn: Turn, args: str) -> list[Reply]:
    """`/link` gives a one-time code; `/link CODE` on another platform joins the two."""
    if turn.in_group:
        return [
            Message(
                "Send /link to me in a private chat: a code posted here could be used by "
                "anyone in this group.",
                private=True,
            )
        ]
    typed = args.strip()
    if not typed:
        return _new_code(turn)
    return _join(turn, typed)


def unlink(turn: Turn, _args: str) -> list[Reply]:
    """Detach this platform; it keeps a copy of the progress so far."""
    session = turn.session
    together = learners.members(session, turn.person.id)
    if len(together) == 1:
        return [Message("This account is not linked to another platform. /link joins one.")]
    here = _platform_name(turn.acting)
    acting, learner = session.get(Person, turn.acting.id), session.get(Person, turn.person.id)
    assert acting is not None and learner is not None
    learners.detach(session, acting, learner)
    others = platform_list([m for m in together if m.id != turn.acting.id])
    return [
        Message(
            f"Unlinked. Your {here} account keeps a copy of your progress so far and goes on "
            f"alone from here; your progress on {others} goes on as before. /link joins them "
            "again."
        )
    ]


def _new_code(turn: Turn) -> list[Reply]:
    code = "".join(secrets.choice(_ALPHABET) for _ in range(_CODE_LENGTH))
    learners.save_code(turn.session, turn.person.id, _hashed(code), turn.now + CODE_LIFETIME)
    together = learners.members(turn.session, turn.person.id)
    shown = f"{code[:4]}-{code[4:]}"
    lines = []
    if len(together) > 1:
        lines.append(f"You study as one learner on {platform_list(together)}.")
    lines.append(
        f"Your code: `{shown}`. Within 10 minutes, send `/link {shown}` to me on another "
        "platform (Telegram, Slack or `revision-bot chat`): your answers there and here will "
        "count as one progress, one schedule and one streak. The code works once."
    )
    return [Message("\n\n".join(lines), private=True)]


def _join(turn: Turn, typed: str) -> list[Reply]:
    code = "".join(ch for ch in typed.upper() if ch.isalnum())
    if len(code) != _CODE_LENGTH or any(ch not in _ALPHABET for ch in code):
        return [
            Message(
                "That does not look like a link code: it is 8 letters and digits, like "
                "`/link K7QM-3XPA`. Send /link on the other platform to get one."
            )
        ]
    session, acting = turn.session, turn.acting
    if learners.wrong_codes_since(session, acting.id, turn.now - _LOCKOUT) >= _WRONG_CODES_ALLOWED:
        return [
            Message(
                "Too many wrong codes: `/link CODE` is locked for an hour. "
                "Try again later with a fresh code."
            )
        ]
    learner_id = learners.take_code(session, _hashed(code), turn.now)
    found = learners.person_by_id(session, learner_id) if learner_id is not None else None
    if found is None:
        learners.record_wrong_code(session, acting.id, turn.now)
        return [Message(_WRONG_CODE)]
    keep = learners.learner_of(session, found)
    if keep.id == turn.person.id:
        return [Message("You are linked already. /link shows where.")]
    ours = learners.members(session, turn.person.id)
    theirs = learners.members(session, keep.id)
    shared = {m.platform for m in ours} & {m.platform for m in theirs}
    if shared:
        both = platform_list([m for m in ours if m.platform in shared])
        return [
            Message(
                f"Both sides already have a {both} account, and /link joins different "
                "platforms. Send /unlink on one of them first."
            )
        ]
    gone = session.get(Person, turn.person.id)
    assert gone is not None
    for question_id in learners.merge(session, keep, gone):
        # Scheduled on both sides: FSRS replays the merged history, as if on one schedule.
        schedule, history = learners.schedule_with_history(session, keep.id, question_id)
        if schedule is not None:
            srs.replay(turn.scheduler, schedule, history)
    everyone = platform_list([*theirs, *ours])
    return [
        Message(
            f"Linked ✅ You now study as one learner on {everyone}: an answer on any of them "
            "counts for all, your streak counts a day answered anywhere, and each chat keeps its "
            "own /daily. /stats shows the merged progress; /unlink detaches this platform."
        )
    ]


def _hashed(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _platform_name(person: Person | PersonRow) -> str:
    return _PLATFORM_NAMES.get(person.platform, person.platform)


def platform_list(people: Sequence[Person | PersonRow]) -> str:
    names = list(dict.fromkeys(_platform_name(p) for p in people))
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
