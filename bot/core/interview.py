"""/interview: a timed mock interview round for one person, a timed quiz round for a group.

A round lives in the database (bot.store.interviews): its questions, the one on screen and its
deadline. Answers come in as any answer does and are routed here by their ask; no verdict is
given until the end. A deadline that passes is claimed by the round ticker
(bot.core.interview_service), which calls `time_up`; where nothing ticks (the terminal) a late
answer counts as timed out, and a round left alone is ended when the person comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import actions, lookup, quiz
from bot.core.interview_pick import pick
from bot.core.replies import (
    AnswerTally,
    Button,
    CardPrompt,
    ChoicePrompt,
    Expired,
    Message,
    Reply,
)
from bot.core.scorecard import group_leaderboard, member_results, scorecard
from bot.core.srs import Recall, rating_for_choice
from bot.core.turn import Turn
from bot.store import event_queries
from bot.store import interviews as store
from bot.store.models import Interview
from bot.store.rows import question_row

__all__ = [
    "ABANDON_AFTER",
    "GROUP_COUNT",
    "GROUP_SECONDS",
    "answer_choice",
    "close",
    "finish",
    "interview_command",
    "rate_card",
    "reveal_card",
    "time_up",
]

DEFAULT_COUNT = 10
GROUP_COUNT = 5
GROUP_SECONDS = 30
MAX_COUNT = 30
ABANDON_AFTER = timedelta(minutes=30)
_RATINGS = {Recall.AGAIN: "Again", Recall.HARD: "Hard", Recall.GOOD: "Good", Recall.EASY: "Easy"}


@dataclass(frozen=True)
class _Request:
    count: int
    level: str | None
    topic_ids: tuple[str, ...]


def interview_command(turn: Turn, args: str) -> list[Reply]:
    """`/interview [N] [level] [topics]` starts a round; `/interview stop` ends it."""
    assert turn.chat is not None
    if args.strip().lower() == "stop":
        return stop(turn)
    replies: list[Reply] = []
    current = store.running(turn.session, _running_key(turn))
    if current is not None:
        if not _left_alone(current, turn.now):
            return [_still_running(current), *_reshow(turn, current)]
        replies += _end(turn, current, "abandoned")
    request = _parse(turn, args)
    if isinstance(request, Message):
        return [*replies, request]
    kinds = ("choice",) if turn.in_group else ("choice", "card")
    person_id = None if turn.in_group else turn.person.id
    found = store.candidates(turn.session, person_id, request.level, request.topic_ids, kinds)
    history = {} if person_id is None else store.topic_results(turn.session, person_id)
    chosen = pick(found, history, request.count, turn.now)
    if not chosen:
        return [*replies, Message("No questions match that. Try /interview without filters.")]
    seconds = GROUP_SECONDS if turn.in_group else turn.interview_seconds
    interview = store.start(
        turn.session,
        {
            "chat_id": turn.chat.id,
            "person_id": turn.person.id,
            "is_group": turn.in_group,
            "running_key": _running_key(turn),
            "state": "running",
            "level": request.level,
            "question_ids": chosen,
            "seconds": seconds,
            "position": 0,
            "last_activity": turn.now,
            "started_at": turn.now,
        },
    )
    if interview is None:  # another /interview got there first
        return [*replies, Message("A round is already on here. `/interview stop` ends it.")]
    replies.append(Message(_introduction(turn, interview)))
    return replies + _ask_current(turn, interview)


def stop(turn: Turn) -> list[Reply]:
    current = store.running(turn.session, _running_key(turn))
    if current is None:
        return [Message("No round is running. Type /interview to start one.")]
    if current.is_group and current.person_id != turn.person.id and not turn.is_admin:
        return [Message("Only whoever started the round (or an admin) can stop it.", private=True)]
    return _end(turn, current, "stopped")


def answer_choice(turn: Turn, ask_id: int, option: int) -> list[Reply]:
    """An answer to a choice question: graded on the spot outside a round; in a round,
    recorded without a verdict and followed by the next question."""
    checked = quiz.checked_ask(turn, ask_id)
    if isinstance(checked, Message):
        return [checked]
    if checked.ask.interview_id is None:
        return quiz.grade_choice(turn, checked, option)
    question = checked.question
    if question.kind != "choice" or question.correct_index is None:
        return [Message("That question has no options to choose from.", private=True)]
    if not 0 <= option < len(question.options):
        return [Message(f"Pick an option between 1 and {len(question.options)}.", private=True)]
    interview = turn.session.get(Interview, checked.ask.interview_id)
    if interview is None or interview.current_ask_id != checked.ask.id:
        return [_closed()]
    if interview.is_group:
        return _group_answer(turn, interview, checked, option)
    if _left_alone(interview, turn.now):
        return _end(turn, interview, "abandoned")
    claimed = store.claim_current(turn.session, interview.id, checked.ask.id, turn.now)
    if claimed is None:
        return [_closed()]
    taken = _seconds_since(claimed.asked_at, turn.now)
    late = claimed.deadline is None or turn.now > claimed.deadline
    correct = option == question.correct_index and not late
    quiz.record(turn, checked, rating_for_choice(correct), correct)
    _record(turn, claimed, "timeout" if late else ("right" if correct else "wrong"), taken)
    note = (
        f"⏱ {taken:.0f} s: over the {claimed.seconds} s limit, counted as timed out."
        if late
        else f"Answered in {taken:.0f} s."
    )
    return [_expired(turn, claimed, note), *_advance(turn, claimed)]


def reveal_card(turn: Turn, ask_id: int) -> list[Reply]:
    checked = quiz.checked_ask(turn, ask_id)
    if isinstance(checked, Message):
        return [checked]
    if checked.ask.interview_id is None or checked.question.kind != "card":
        return quiz.show_card_answer(checked)
    interview = turn.session.get(Interview, checked.ask.interview_id)
    if interview is None or interview.current_ask_id != checked.ask.id:
        return [_closed()]
    if interview.revealed_at is not None:
        return quiz.show_card_answer(checked)
    if _left_alone(interview, turn.now):
        return _end(turn, interview, "abandoned")
    claimed = store.claim_current(turn.session, interview.id, checked.ask.id, turn.now)
    if claimed is None:
        return [_closed()]
    if claimed.deadline is None or turn.now > claimed.deadline:
        taken = _seconds_since(claimed.asked_at, turn.now)
        quiz.record(turn, checked, Recall.AGAIN, None)
        _record(turn, claimed, "timeout", taken)
        note = f"⏱ {taken:.0f} s: over the {claimed.seconds} s limit, counted as timed out."
        return [_expired(turn, claimed, note), *_advance(turn, claimed)]
    claimed.revealed_at, claimed.deadline = turn.now, None
    return quiz.show_card_answer(checked)


def rate_card(turn: Turn, ask_id: int, rating: int) -> list[Reply]:
    checked = quiz.checked_ask(turn, ask_id)
    if isinstance(checked, Message):
        return [checked]
    if checked.ask.interview_id is None or checked.question.kind != "card":
        return quiz.grade_card(turn, checked, rating)
    try:
        recall = Recall(rating)
    except ValueError:
        return [Message("Rate your recall as Again, Hard, Good or Easy.", private=True)]
    interview = turn.session.get(Interview, checked.ask.interview_id)
    if interview is None or interview.current_ask_id != checked.ask.id:
        return [_closed()]
    if interview.revealed_at is None:
        return [Message("Show the answer first, then rate yourself.", private=True)]
    claimed = store.claim_current(turn.session, interview.id, checked.ask.id, turn.now)
    if claimed is None:
        return [_closed()]
    assert claimed.revealed_at is not None
    taken = _seconds_since(claimed.asked_at, claimed.revealed_at)
    quiz.record(turn, checked, recall, None)
    _record(turn, claimed, "rated", taken, rating=int(recall))
    rated = Message(
        f"**Question:** {checked.question.prompt}\n\n"
        f"You rated it **{_RATINGS[recall]}** (answer shown after {taken:.0f} s).",
        replace=True,
    )
    return [rated, *_advance(turn, claimed)]


def time_up(turn: Turn, interview: Interview) -> list[Reply]:
    """The question on screen ran out of time (its deadline was claimed): a timeout for the
    person, or the end of this question for a group; then the next question or the end."""
    if interview.current_ask_id is not None and not interview.is_group:
        found = quiz.find_asked(turn, interview.current_ask_id)
        if found is not None:
            correct = False if found.question.kind == "choice" else None
            quiz.record(turn, found, Recall.AGAIN, correct)
        _record(turn, interview, "timeout", float(interview.seconds))
    if interview.is_group:
        answered = (
            event_queries.answers_to_ask(turn.tx, interview.current_ask_id)
            if interview.current_ask_id is not None
            else 0
        )
        note = f"⏱ Time's up: {answered} answer{'s' if answered != 1 else ''}."
    else:
        note = f"⏱ Time's up ({interview.seconds} s)."
    return [_expired(turn, interview, note), *_advance(turn, interview)]


def finish(turn: Turn, interview: Interview, state: str) -> list[Reply]:
    """End the round (its end already claimed, or its last question answered) and say how it
    went: a scorecard for a person, a leaderboard for a group."""
    interview.state, interview.running_key = state, None
    interview.deadline, interview.ended_at = None, turn.now
    answers = store.answers(turn.session, interview.id)
    if interview.is_group:
        questions = store.questions(turn.session, interview.question_ids)
        return [group_leaderboard(interview, answers), *member_results(answers, questions)]
    own = [answer for answer, person in answers if person.id == interview.person_id]
    questions = store.questions(turn.session, interview.question_ids)
    return [scorecard(turn, interview, own, questions)]


# --- the round's steps ----------------------------------------------------------------------


def _ask_current(turn: Turn, interview: Interview) -> list[Reply]:
    """Put the question at the round's position, skipping any retired since the round began."""
    found = store.questions(turn.session, interview.question_ids)
    total = len(interview.question_ids)
    while interview.position < total:
        question = found.get(interview.question_ids[interview.position])
        if question is not None and not question.retired:
            deadline = turn.now + timedelta(seconds=interview.seconds)
            header = (
                f"{'Quiz round' if interview.is_group else 'Mock interview'} · question "
                f"{interview.position + 1} of {total} · {interview.seconds} s, "
                f"until {deadline:%H:%M:%S} UTC"
            )
            prompt = quiz.put_question(
                turn,
                question_row(question),
                header=header,
                interview_id=interview.id,
                time_limit=interview.seconds,
            )
            interview.current_ask_id, interview.asked_at = prompt.ask_id, turn.now
            interview.revealed_at, interview.deadline = None, deadline
            interview.last_activity = turn.now
            return [prompt]
        interview.position += 1
    return finish(turn, interview, "finished")


def _advance(turn: Turn, interview: Interview) -> list[Reply]:
    interview.position += 1
    interview.current_ask_id = None
    return _ask_current(turn, interview)


def _end(turn: Turn, interview: Interview, state: str) -> list[Reply]:
    """Stop or abandon a running round, claimed first: a partial scorecard."""
    if not store.claim_end(turn.session, interview.id, state, turn.now):
        return [_closed()]
    turn.session.refresh(interview)
    return close(turn, interview, state)


def close(turn: Turn, interview: Interview, state: str) -> list[Reply]:
    """End a round whose end was claimed: the question on screen closed, then `finish`."""
    closed: list[Reply] = []
    if interview.current_ask_id is not None:
        closed.append(_expired(turn, interview, "This round is over."))
    return closed + finish(turn, interview, state)


def _group_answer(
    turn: Turn, interview: Interview, checked: quiz.Asked, option: int
) -> list[Reply]:
    """A member's answer in a group round: recorded for them, no verdict until the end."""
    if interview.deadline is None or turn.now > interview.deadline:
        return [_closed()]
    question = checked.question
    correct = option == question.correct_index
    if quiz.record(turn, checked, rating_for_choice(correct), correct) is None:
        return [Message("You already answered this one; your first answer counts.", private=True)]
    taken = _seconds_since(interview.asked_at, turn.now)
    _record(turn, interview, "right" if correct else "wrong", taken)
    answered = event_queries.answers_to_ask(turn.tx, checked.ask.id)
    return [AnswerTally(ask_id=checked.ask.id, answers=answered)]


def _record(
    turn: Turn,
    interview: Interview,
    outcome: str,
    seconds: float,
    rating: int | None = None,
) -> None:
    store.record_answer(
        turn.session,
        interview_id=interview.id,
        position=interview.position,
        person_id=turn.person.id,
        question_id=interview.question_ids[interview.position],
        outcome=outcome,
        rating=rating,
        seconds=round(seconds, 1),
        answered_at=turn.now,
    )


def _expired(turn: Turn, interview: Interview, note: str) -> Expired:
    ask = store.ask(turn.session, interview.current_ask_id)
    assert ask is not None
    question = store.questions(turn.session, [ask.question_id]).get(ask.question_id)
    return Expired(
        ask_id=ask.id,
        markdown=note,
        platform_ref=ask.platform_ref,
        prompt=question.prompt if question is not None else "",
    )


def _parse(turn: Turn, args: str) -> _Request | Message:
    count = GROUP_COUNT if turn.in_group else DEFAULT_COUNT
    level: str | None = None
    words: list[str] = []
    for word in args.split():
        named_level, rest = lookup.parse_level(word)
        if word.isascii() and word.isdigit():
            count = int(word)
            if not 1 <= count <= MAX_COUNT:
                return Message(f"A round has 1 to {MAX_COUNT} questions, like /interview 5.")
        elif named_level is not None and not rest:
            level = named_level
        else:
            words.append(word)
    if not words:
        return _Request(count, level, ())
    query = " ".join(words)
    whole = turn.index.find(query)
    if whole.topic_id is not None and whole.also is not None:  # 'decorator vs descriptor'
        return _Request(count, level, (whole.topic_id, whole.also))
    each = [_topics_named(turn, word) for word in words]
    if all(each):
        return _Request(count, level, tuple(dict.fromkeys(t for found in each for t in found)))
    if whole.topic_id is not None:
        topics = (whole.topic_id,) + ((whole.also,) if whole.also else ())
        return _Request(count, level, topics)
    return lookup.no_match(turn.index, query, whole.suggestions, verb="quiz")


def _topics_named(turn: Turn, word: str) -> tuple[str, ...]:
    """A word names a family of topics when it is part of their ids ('django' -> every
    django-* topic), else the one topic it finds (typos and aliases welcome)."""
    family = tuple(t for t in turn.index.topics if word.lower() in t.split("-"))
    if family:
        return family
    found = turn.index.find(word).topic_id
    return (found,) if found else ()


def _introduction(turn: Turn, interview: Interview) -> str:
    total, seconds = len(interview.question_ids), interview.seconds
    level = f" at {interview.level} level" if interview.level else ""
    if interview.is_group:
        return (
            f"**Quiz round for everyone**: {total} question{'s' if total != 1 else ''}{level}, "
            f"{seconds} s each. Every member's answer counts; the leaderboard comes at the end. "
            "Whoever started it (or an admin) can end it with `/interview stop`."
        )
    return (
        f"**Mock interview**: {total} question{'s' if total != 1 else ''}{level}, {seconds} s "
        "each. No verdicts until the end: answer, or let the time run out. A card: answer "
        "aloud, then show the answer and rate yourself. `/interview stop` ends the round."
    )


def _still_running(interview: Interview) -> Message:
    total = len(interview.question_ids)
    return Message(
        f"A round is on: question {interview.position + 1} of {total}. Answer it, or "
        "`/interview stop` to end the round."
    )


def _reshow(turn: Turn, interview: Interview) -> list[Reply]:
    """The question on screen again, same ask and deadline (a new terminal session, a lost
    message); nothing when it is not this person's to answer here."""
    if interview.current_ask_id is None or interview.is_group:
        return []
    checked = quiz.checked_ask(turn, interview.current_ask_id)
    if isinstance(checked, Message):
        return []
    if interview.revealed_at is not None:
        return quiz.show_card_answer(checked)
    question = checked.question
    deadline = interview.deadline or turn.now
    left = max(5, int((deadline - turn.now).total_seconds()))
    header = (
        f"Mock interview · question {interview.position + 1} of "
        f"{len(interview.question_ids)} · until {deadline:%H:%M:%S} UTC"
    )
    title = quiz.topic_title(turn, question.topic_id)
    if question.kind == "choice" and question.correct_index is not None:
        return [
            ChoicePrompt(
                ask_id=checked.ask.id,
                topic_title=title,
                prompt=question.prompt,
                options=tuple(question.options),
                correct_index=question.correct_index,
                why=question.why,
                header=header,
                time_limit=left,
            )
        ]
    return [
        CardPrompt(
            ask_id=checked.ask.id,
            topic_title=title,
            prompt=question.prompt,
            header=header,
            buttons=(Button("Show answer", actions.reveal(checked.ask.id)),),
            time_limit=left,
        )
    ]


def _closed() -> Message:
    return Message("That question's time is over.", private=True)


def _running_key(turn: Turn) -> str:
    assert turn.chat is not None
    return f"chat:{turn.chat.id}" if turn.in_group else f"person:{turn.person.id}"


def _left_alone(interview: Interview, now: datetime) -> bool:
    return now - interview.last_activity >= ABANDON_AFTER


def _seconds_since(start: datetime | None, now: datetime) -> float:
    return (now - start).total_seconds() if start is not None else 0.0
