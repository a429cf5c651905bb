"""The end of a mock interview: a person's scorecard, or a group round's leaderboard."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core import actions
from bot.core.quiz import topic_title
from bot.core.replies import Button, Message, Whisper
from bot.core.srs import Recall
from bot.core.turn import Turn
from bot.store.models import Interview, InterviewAnswer, Person, Question

__all__ = ["ENDINGS", "group_leaderboard", "member_results", "recalled", "scorecard"]

ENDINGS = {
    "finished": "",
    "stopped": "stopped early",
    "abandoned": "ended after 30 minutes without an answer",
}
_LEVEL_WORDS = {"junior": "junior", "mid": "mid-level", "senior": "senior"}
_RATINGS = {Recall.AGAIN: "Again", Recall.HARD: "Hard", Recall.GOOD: "Good", Recall.EASY: "Easy"}
_SOLID_FROM = 0.75
_WEAK_BELOW = 0.5
_MAX_ANSWER = 300


def recalled(answer: InterviewAnswer) -> bool:
    """A right choice, or a card its person rated Hard or better."""
    if answer.outcome == "rated":
        return answer.rating is not None and answer.rating > Recall.AGAIN
    return answer.outcome == "right"


@dataclass
class _Tally:
    asked: int = 0
    right: int = 0

    @property
    def share(self) -> float:
        return self.right / self.asked if self.asked else 0.0


def scorecard(
    turn: Turn,
    interview: Interview,
    answers: Sequence[InterviewAnswer],
    questions: Mapping[str, Question],
) -> Message:
    """Score, time per question, results by topic, every miss with its answer and why, a
    one-line verdict by level, and buttons to study the three weakest topics."""
    planned = len(interview.question_ids)
    right = sum(1 for answer in answers if recalled(answer))
    ending = ENDINGS.get(interview.state, "")
    if not answers:
        return Message(
            f"**Mock interview {ending or 'over'}**: no question was answered. "
            "Type /interview to start a new round."
        )
    title = f"**Mock interview: {right} of {len(answers)} right** ({right / len(answers):.0%})"
    if ending:
        title += f", {ending} after {len(answers)} of {planned} questions"
    timed = [a.seconds for a in answers if a.seconds is not None and a.outcome != "timeout"]
    lines = [title, ""]
    if timed:
        lines += [
            f"Time: {_duration(sum(timed))} answering, {sum(timed) / len(timed):.0f} s a "
            "question on average.",
            "",
        ]
    lines += ["**Question by question**", ""]
    by_topic: dict[str, _Tally] = {}
    by_level: dict[tuple[str, str], _Tally] = {}
    missed: list[str] = []
    for number, answer in enumerate(answers, start=1):
        question = questions.get(answer.question_id)
        topic_id = question.topic_id if question else ""
        name = topic_title(turn, topic_id) if question else answer.question_id
        level = question.level if question else ""
        lines.append(f"{number}. {_mark(answer)} {name} ({level}) · {_how(answer)}")
        for tally in (
            by_topic.setdefault(topic_id, _Tally()),
            by_level.setdefault((topic_id, level), _Tally()),
        ):
            tally.asked += 1
            tally.right += recalled(answer)
        if not recalled(answer) and question is not None:
            missed.append(_miss(question))
    lines += ["", "**By topic**", ""]
    lines += [
        f"- {topic_title(turn, topic_id)}: {tally.right} of {tally.asked}"
        for topic_id, tally in by_topic.items()
    ]
    if missed:
        lines += ["", "**Missed**", "", *missed]
    lines += ["", f"**Verdict:** {_verdict(turn, by_level)}"]
    weakest = sorted(by_topic.items(), key=lambda item: item[1].share)[:3]
    buttons = tuple(
        Button(f"Study {_short(topic_title(turn, topic_id))}"[:60], actions.quiz(topic_id))
        for topic_id, _tally in weakest
        if topic_id in turn.index.topics
    )
    return Message("\n".join(lines), buttons=buttons)


def group_leaderboard(
    interview: Interview, answers: Sequence[tuple[InterviewAnswer, Person]]
) -> Message:
    """Who answered the most right, then who was quickest over their answers."""
    asked = interview.position + (1 if interview.state == "finished" else 0)
    asked = min(asked, len(interview.question_ids))
    ending = ENDINGS.get(interview.state, "")
    title = f"**Quiz round over** ({ending})" if ending else "**Quiz round over**"
    scores: dict[int, tuple[str, int, float]] = {}
    for answer, person in answers:
        name, right, seconds = scores.get(person.id, (person.display_name or "someone", 0, 0.0))
        scores[person.id] = (name, right + recalled(answer), seconds + (answer.seconds or 0.0))
    if not scores:
        return Message(f"{title}: nobody answered. Type /interview for another round.")
    ranked = sorted(scores.values(), key=lambda score: (-score[1], score[2], score[0]))
    lines = [f"{title}: {asked} question{'s' if asked != 1 else ''}", ""]
    lines += [
        f"{place}. {name}: {right} right, {seconds:.0f} s"
        for place, (name, right, seconds) in enumerate(ranked, start=1)
    ]
    lines += ["", "These answers count on the group's /leaderboard."]
    return Message("\n".join(lines))


def member_results(
    answers: Sequence[tuple[InterviewAnswer, Person]], questions: Mapping[str, Question]
) -> list[Whisper]:
    """Each member's own verdicts, for them alone, once the round is over."""
    mine: dict[int, list[InterviewAnswer]] = {}
    people: dict[int, Person] = {}
    for answer, person in answers:
        mine.setdefault(person.id, []).append(answer)
        people[person.id] = person
    whispers = []
    for person_id, own in mine.items():
        right = sum(1 for answer in own if recalled(answer))
        lines = [f"**Your round: {right} of {len(own)} right**", ""]
        for answer in own:
            question = questions.get(answer.question_id)
            if question is None:
                continue
            lines.append(f"- {_mark(answer)} {question.prompt}")
            if not recalled(answer) and question.correct_index is not None:
                lines.append(f"  **Answer:** {question.options[question.correct_index]}")
        whispers.append(Whisper(people[person_id].platform_id, "\n".join(lines)))
    return whispers


def _mark(answer: InterviewAnswer) -> str:
    if answer.outcome == "timeout":
        return "⏱"
    return "✅" if recalled(answer) else "❌"


def _how(answer: InterviewAnswer) -> str:
    if answer.outcome == "timeout":
        return "timed out"
    seconds = f"{answer.seconds:.0f} s" if answer.seconds is not None else ""
    if answer.outcome == "rated" and answer.rating is not None:
        return f"rated {_RATINGS[Recall(answer.rating)]} · {seconds}"
    return seconds


def _miss(question: Question) -> str:
    if question.kind == "choice" and question.correct_index is not None:
        right = question.options[question.correct_index]
        return f"- {question.prompt}\n  **Answer:** {right}. {question.why}".rstrip()
    answer = " ".join(question.answer.split())
    if len(answer) > _MAX_ANSWER:
        answer = answer[: _MAX_ANSWER - 1] + "…"
    return f"- {question.prompt}\n  **Answer:** {answer}"


def _verdict(turn: Turn, by_level: Mapping[tuple[str, str], _Tally]) -> str:
    """'solid on mid-level and senior The GIL; junior Celery needs work.'"""

    def named(keys: list[tuple[str, str]]) -> str:
        levels: dict[str, list[str]] = {}
        for topic_id, level in keys:
            levels.setdefault(topic_id, []).append(_LEVEL_WORDS.get(level, level))
        return ", ".join(
            f"{' and '.join(words)} {_short(topic_title(turn, topic_id))}".strip()
            for topic_id, words in levels.items()
        )

    solid = [key for key, tally in by_level.items() if tally.share >= _SOLID_FROM]
    weak = [key for key, tally in by_level.items() if tally.share < _WEAK_BELOW]
    needs = "needs" if len(weak) == 1 else "need"
    if solid and weak:
        return f"solid on {named(solid)}; {named(weak)} {needs} work."
    if solid:
        return f"solid on {named(solid)}; nothing needs urgent work."
    if weak:
        return f"nothing solid yet; {named(weak)} {needs} work."
    return "a mixed round: keep practising."


def _short(title: str) -> str:
    """'Celery beat (periodic tasks)' -> 'Celery beat': titles read inside a sentence."""
    head, _, _ = title.partition(" (")
    return head or title


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
