"""Asking questions and grading answers: choice questions and self-rated cards."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import actions
from bot.core.replies import AnswerTally, Button, CardPrompt, ChoicePrompt, Message, Reply
from bot.core.srs import Recall, apply_review, rating_for_choice
from bot.core.timefmt import humanize_delta, short_utc
from bot.core.turn import Turn
from bot.store import event_queries, queries
from bot.store.models import Question
from bot.store.rows import AskRow, QuestionRow, ScheduleRow, question_row

__all__ = [
    "Asked",
    "answer_choice",
    "ask_next",
    "checked_ask",
    "find_asked",
    "grade_card",
    "grade_choice",
    "put_question",
    "question",
    "rate_card",
    "record",
    "reveal_card",
    "show_card_answer",
    "topic_title",
]

_RECALL_LABELS = {
    Recall.AGAIN: "Again",
    Recall.HARD: "Hard",
    Recall.GOOD: "Good",
    Recall.EASY: "Easy",
}


def ask_next(
    turn: Turn,
    topic_id: str | None = None,
    header: str = "",
    is_daily: bool = False,
    level: str | None = None,
) -> list[Reply]:
    """The most overdue question first, then a new one; otherwise say when the next is due.

    `level` narrows the choice to questions of that level (junior, mid, senior)."""
    assert turn.chat is not None
    scope = queries.QuestionScope(topic_id, level)
    if turn.in_group:
        chosen = queries.next_group_question(turn.session, turn.chat.id, scope)
    else:
        chosen = event_queries.next_due_question(turn.tx, turn.person.id, turn.now, scope)
        if chosen is None:
            chosen = event_queries.next_new_question(turn.tx, turn.person.id, scope)
    found = question(turn, chosen) if chosen is not None else None
    if found is None:
        return [_nothing_due(turn, scope)]
    return [put_question(turn, found, header=header, is_daily=is_daily)]


def question(turn: Turn, question_id: str) -> QuestionRow | None:
    """A question as the bank holds it: from the catalog, or from the database when a
    `content sync` added it since the catalog was built."""
    found = turn.catalog.question(question_id)
    if found is None:
        stored = turn.session.get(Question, question_id)
        found = question_row(stored) if stored is not None else None
    return found


def put_question(
    turn: Turn,
    question: QuestionRow,
    header: str = "",
    is_daily: bool = False,
    *,
    interview_id: int | None = None,
    time_limit: int | None = None,
) -> ChoicePrompt | CardPrompt:
    """Ask a question in the turn's chat. In a mock interview (`interview_id`) the prompt
    carries its time limit."""
    assert turn.chat is not None
    title = topic_title(turn, question.topic_id)
    asked_of = None if turn.in_group else turn.person.id
    ask_id = event_queries.create_ask(
        turn.tx,
        turn.chat.id,
        question.id,
        asked_of,
        turn.now,
        is_daily=is_daily,
        interview_id=interview_id,
    )
    if question.kind == "choice":
        assert question.correct_index is not None
        return ChoicePrompt(
            ask_id=ask_id,
            topic_title=title,
            prompt=question.prompt,
            options=question.options,
            correct_index=question.correct_index,
            why=question.why,
            header=header,
            time_limit=time_limit,
        )
    return CardPrompt(
        ask_id=ask_id,
        topic_title=title,
        prompt=question.prompt,
        header=header,
        buttons=(Button("Show answer", actions.reveal(ask_id)),),
        time_limit=time_limit,
    )


def topic_title(turn: Turn, topic_id: str) -> str:
    topic = turn.index.topics.get(topic_id)
    return topic.title if topic is not None else topic_id


def _nothing_due(turn: Turn, asked: queries.QuestionScope) -> Message:
    scope = f" in {topic_title(turn, asked.topic_id)}" if asked.topic_id else ""
    if asked.level:
        scope = f" at {asked.level} level{scope}"
    if turn.in_group:
        return Message(f"No questions{scope} to ask right now.")
    next_due = queries.next_due_at(turn.session, turn.person.id, turn.now)
    if next_due is None:
        return Message(f"You have answered every question{scope}. Nothing is due.")
    when = humanize_delta(next_due - turn.now)
    return Message(
        f"Nothing is due{scope} right now. Your next review is {when} ({short_utc(next_due)}).",
        buttons=(Button("Topics", actions.topics()),),
    )


@dataclass(frozen=True)
class Asked:
    ask: AskRow
    question: QuestionRow
    schedule: ScheduleRow | None  # the person's, before this answer


def find_asked(turn: Turn, ask_id: int) -> Asked | None:
    """The ask, its question and the turn's person's schedule for it."""
    found = event_queries.ask_and_schedule(turn.tx, ask_id, turn.person.id)
    if found is None:
        return None
    ask, schedule = found
    asked = question(turn, ask.question_id)
    return Asked(ask, asked, schedule) if asked is not None else None


def checked_ask(turn: Turn, ask_id: int) -> Asked | Message:
    """The ask behind a button or answer, if this person in this chat may act on it."""
    found = find_asked(turn, ask_id)
    if found is None:
        return Message(
            "That question is no longer available. Try /quiz for a new one.", private=True
        )
    ask = found.ask
    if (turn.chat is not None and ask.chat_id != turn.chat.id) or (
        ask.person_id is not None and ask.person_id != turn.person.id
    ):
        return Message(
            "That button is not for you. Try /quiz for a question of your own.", private=True
        )
    return found


def answer_choice(turn: Turn, ask_id: int, option: int) -> list[Reply]:
    checked = checked_ask(turn, ask_id)
    if isinstance(checked, Message):
        return [checked]
    return grade_choice(turn, checked, option)


def grade_choice(turn: Turn, checked: Asked, option: int) -> list[Reply]:
    """Grade a checked answer, record it, and say right or wrong with the why."""
    ask, question = checked.ask, checked.question
    if question.kind != "choice" or question.correct_index is None:
        return [Message("That question has no options to choose from.", private=True)]
    if not 0 <= option < len(question.options):
        return [
            Message(
                f"Pick an option between 1 and {len(question.options)}.",
                private=True,
            )
        ]
    correct = option == question.correct_index
    recall = rating_for_choice(correct)
    schedule = record(turn, checked, recall, correct)
    if schedule is None:
        return [Message("You already answered this one; your first answer counts.", private=True)]

    right_answer = question.options[question.correct_index]
    verdict = "✅ **Right!**" if correct else f"❌ **Wrong.** The answer is: {right_answer}"
    back = humanize_delta(schedule.due - turn.now)
    lines = [verdict, "", question.why, "", f"This question comes back {back}."]
    if turn.in_group:
        lines[0] = f"{verdict} ({turn.person.display_name or 'you'})"
    buttons = _after_answer_buttons(turn, question.topic_id)
    replies: list[Reply] = [
        Message(
            "\n".join(lines),
            buttons=buttons,
            replace=not turn.in_group,
            private=turn.in_group,
        )
    ]
    if turn.in_group:
        answers = event_queries.answers_to_ask(turn.tx, ask.id)
        replies.append(AnswerTally(ask_id=ask.id, answers=answers))
    return replies


def _after_answer_buttons(turn: Turn, topic_id: str) -> tuple[Button, ...]:
    buttons = [Button("Next question", actions.next_question())]
    if topic_id in turn.index.topics:
        title = topic_title(turn, topic_id)
        buttons.append(Button(f"Explain {title}"[:60], actions.explain(topic_id)))
    return tuple(buttons)


def reveal_card(turn: Turn, ask_id: int) -> list[Reply]:
    checked = checked_ask(turn, ask_id)
    if isinstance(checked, Message):
        return [checked]
    return show_card_answer(checked)


def show_card_answer(checked: Asked) -> list[Reply]:
    ask, question = checked.ask, checked.question
    if question.kind != "card":
        return [Message("That question is answered by choosing an option.", private=True)]
    buttons = tuple(
        Button(label, actions.rate(ask.id, int(recall))) for recall, label in _RECALL_LABELS.items()
    )
    text = (
        f"**Question:** {question.prompt}\n\n**Answer:**\n\n{question.answer}\n\n"
        "How well did you remember it?"
    )
    return [Message(text, buttons=buttons, replace=True)]


def rate_card(turn: Turn, ask_id: int, rating: int) -> list[Reply]:
    checked = checked_ask(turn, ask_id)
    if isinstance(checked, Message):
        return [checked]
    return grade_card(turn, checked, rating)


def grade_card(turn: Turn, checked: Asked, rating: int) -> list[Reply]:
    question = checked.question
    if question.kind != "card":
        return [Message("That question is answered by choosing an option.", private=True)]
    try:
        recall = Recall(rating)
    except ValueError:
        return [Message("Rate your recall as Again, Hard, Good or Easy.", private=True)]
    schedule = record(turn, checked, recall, None)
    if schedule is None:
        return [Message("You already rated this card; your first rating counts.", private=True)]
    back = humanize_delta(schedule.due - turn.now)
    text = (
        f"**Question:** {question.prompt}\n\n**Answer:**\n\n{question.answer}\n\n"
        f"You rated it **{_RECALL_LABELS[recall]}**. It comes back {back}."
    )
    return [
        Message(
            text,
            buttons=_after_answer_buttons(turn, question.topic_id),
            replace=not turn.in_group,
            private=turn.in_group,
        )
    ]


def record(turn: Turn, asked: Asked, recall: Recall, correct: bool | None) -> ScheduleRow | None:
    """Log the review and move the card on; None when this person already answered this ask."""
    ask, question = asked.ask, asked.question
    recorded = event_queries.insert_review(
        turn.tx,
        ask_id=ask.id,
        person_id=turn.person.id,
        chat_id=ask.chat_id,
        question_id=question.id,
        rating=int(recall),
        correct=correct,
        reviewed_at=turn.now,
        local_date=turn.today(),
    )
    if not recorded:
        return None
    schedule = apply_review(
        turn.scheduler, asked.schedule, turn.person.id, question.id, recall, turn.now
    )
    event_queries.save_schedule(turn.tx, schedule)
    return schedule
