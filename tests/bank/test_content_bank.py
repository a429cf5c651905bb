"""The shipped question bank: complete, within every platform's limits, and findable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bank.model import CardQuestion, ChoiceQuestion
from bot.bank.validate import load_bank
from bot.core.explain import TopicEntry, TopicIndex
from tests.conftest import REPO_ROOT

CONTENT = REPO_ROOT / "content"
QUERIES = Path(__file__).parent / "explain_queries"


@pytest.fixture(scope="module")
def bank():
    bank, problems = load_bank(CONTENT)
    assert [str(p) for p in problems] == []
    return bank


@pytest.fixture(scope="module")
def index(bank) -> TopicIndex:
    return TopicIndex(TopicEntry(t.id, t.title, t.aliases) for t in bank.topics)


def test_bank_is_large_enough_to_drill_for_weeks(bank):
    assert len(bank.topics) >= 28
    assert len(bank.questions) >= 240


def test_every_topic_has_choices_and_cards(bank):
    for topic in bank.topics:
        choices = [q for q in topic.questions if isinstance(q, ChoiceQuestion)]
        cards = [q for q in topic.questions if isinstance(q, CardQuestion)]
        assert len(choices) >= 6, topic.id
        assert len(cards) >= 2, topic.id


def test_choice_questions_have_three_or_four_options(bank):
    for question in bank.questions:
        if isinstance(question, ChoiceQuestion):
            assert 3 <= len(question.options) <= 4, question.id
            lowered = [o.lower() for o in question.options]
            assert not any("all of the above" in o or "none of the above" in o for o in lowered)


def test_correct_answers_are_not_always_in_the_same_place(bank):
    positions = [q.correct_index for q in bank.questions if isinstance(q, ChoiceQuestion)]
    most_common = max(positions.count(p) for p in set(positions))
    assert most_common <= 0.45 * len(positions)


def test_explanations_read_well_in_a_chat(bank):
    for topic in bank.topics:
        assert len(topic.explanation) <= 3500, topic.id
        first_block = topic.explanation.split("\n\n")[0]
        assert not first_block.startswith("#"), f"{topic.id} should open with a plain answer"


def test_topics_list_references_and_neighbours(bank):
    for topic in bank.topics:
        assert topic.references, topic.id
        assert 1 <= len(topic.see_also) <= 5, topic.id


def test_every_topic_is_reachable_by_its_id(bank, index):
    for topic in bank.topics:
        assert index.find(topic.id).topic_id == topic.id
        assert index.find(topic.title).topic_id == topic.id


def read_queries() -> list[tuple[str, str]]:
    pairs = []
    for path in sorted(QUERIES.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                query, _, topic = line.rpartition("=>")
                pairs.append((query.strip(), topic.strip()))
    return pairs


def test_explain_finds_what_people_type(bank, index):
    queries = read_queries()
    assert len(queries) >= 80
    known = {t.id for t in bank.topics}
    assert {topic for _, topic in queries} <= known
    misses = [
        (q, want, index.find(q).topic_id) for q, want in queries if index.find(q).topic_id != want
    ]
    hit_rate = 1 - len(misses) / len(queries)
    assert hit_rate >= 0.95, "\n".join(f"{q!r}: wanted {w}, got {g}" for q, w, g in misses)
