"""The shipped question bank: complete, within every platform's limits, and findable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bank.form import form_figures
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
    return TopicIndex(TopicEntry(t.id, t.title, t.aliases, t.explanation) for t in bank.topics)


def test_bank_covers_the_interview_canon(bank):
    assert len(bank.topics) >= 60
    assert len(bank.questions) >= 600


def test_at_least_three_in_ten_questions_are_senior(bank):
    assert form_figures(bank).senior_share >= 0.30


def test_options_do_not_give_the_answer_away(bank):
    figures = form_figures(bank)
    assert figures.problems() == []
    assert max(figures.positions) <= 0.35 * figures.choices


def test_every_topic_has_choices_and_cards(bank):
    for topic in bank.topics:
        choices = [q for q in topic.questions if isinstance(q, ChoiceQuestion)]
        cards = [q for q in topic.questions if isinstance(q, CardQuestion)]
        assert len(choices) >= 6, topic.id
        assert len(cards) >= 2, topic.id


def test_every_topic_has_questions_at_more_than_one_level(bank):
    for topic in bank.topics:
        assert len({q.level for q in topic.questions}) >= 2, topic.id


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


@pytest.mark.parametrize(
    "query",
    ["kubernetes", "' OR 1=1 --", "walrus operator", "terraform", "flask blueprints", "numpy"],
)
def test_explain_says_plainly_when_the_bank_has_no_such_topic(index, query):
    assert index.find(query) == index.find(query.upper())
    match = index.find(query)
    assert match.topic_id is None and match.suggestions == ()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("abstraction vs encapsulation", {"oop-abstraction", "oop-encapsulation"}),
        ("decorator vs descriptor", {"decorators", "descriptors"}),
        ("asyncio vs threading", {"asyncio", "threading-vs-multiprocessing"}),
    ],
)
def test_a_comparison_of_two_topics_explains_both(index, query, expected):
    match = index.find(query)
    assert {match.topic_id, match.also} == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("select_related vs prefetch_related", "django-orm-n-plus-one"),
        ("wsgi vs asgi", "wsgi-asgi"),
        ("threading vs multiprocessing", "threading-vs-multiprocessing"),
        ("jwt vs session", "sessions-tokens-jwt"),
        ("is vs ==", "identity-mutability-copying"),
    ],
)
def test_a_comparison_one_topic_covers_goes_to_that_topic(index, query, expected):
    match = index.find(query)
    assert (match.topic_id, match.also) == (expected, None)


@pytest.mark.parametrize(
    ("query", "not_expected"),
    [
        ("token auth", "wsgi-asgi"),
        ("auth token", "gunicorn"),
        ("generators", "decorators"),
        ("metaclass", "method-decorators"),
    ],
)
def test_a_typo_tolerant_match_does_not_turn_one_concept_into_another(index, query, not_expected):
    assert index.find(query).topic_id != not_expected
    assert index.find(query).topic_id is not None


def test_a_bare_python_asks_instead_of_guessing(index):
    match = index.find("python")
    assert match.topic_id is None and len(match.suggestions) >= 2
