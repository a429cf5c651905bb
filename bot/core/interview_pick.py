"""Which questions a mock interview asks: weak and due topics first, then new questions, then
the rest, spread across topics, each question once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.store.interviews import Candidate

__all__ = ["WEAK_BELOW", "pick"]

WEAK_BELOW = 0.7  # a topic answered right less often than this is weak


def pick(
    candidates: Sequence[Candidate],
    topic_results: Mapping[str, tuple[int, int]],
    count: int,
    now: datetime,
) -> list[str]:
    """Up to `count` question ids. Each question is ranked: due questions and questions of weak
    topics first (weakest topic, then most overdue), then never-seen questions in bank order,
    then the rest by due date; then topics take turns, each giving its best-ranked question."""

    def accuracy(topic_id: str) -> float:
        answered, right = topic_results.get(topic_id, (0, 0))
        return right / answered if answered else 1.0

    def rank(candidate: Candidate) -> tuple[int, float, float]:
        weak = accuracy(candidate.topic_id) < WEAK_BELOW
        if candidate.due is None:
            return (0 if weak else 1, accuracy(candidate.topic_id), candidate.position)
        overdue = (now - candidate.due).total_seconds()
        if candidate.due <= now or weak:
            return (0, accuracy(candidate.topic_id), -overdue)
        return (2, 0.0, -overdue)

    ranked = sorted(candidates, key=rank)
    turn_in_topic: dict[str, int] = {}
    keyed: list[tuple[int, int, str]] = []
    for order, candidate in enumerate(ranked):
        turn = turn_in_topic.get(candidate.topic_id, 0)
        turn_in_topic[candidate.topic_id] = turn + 1
        keyed.append((turn, order, candidate.question_id))
    return [question_id for _turn, _order, question_id in sorted(keyed)[:count]]
