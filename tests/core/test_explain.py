"""Finding topics: what people type reaches the topic they mean, or a question back."""

from __future__ import annotations

from bot.core.explain import TopicEntry, TopicIndex, normalize_query

INDEX = TopicIndex(
    [
        TopicEntry("gil", "The GIL", ("global interpreter lock", "python gil")),
        TopicEntry("elasticsearch", "Elasticsearch", ("es", "full text search engine")),
        TopicEntry("class-based-views", "Class-based views", ("cbv", "django generic views")),
        TopicEntry("django-signals", "Django signals", ("post_save",)),
        TopicEntry("gunicorn", "Gunicorn", ("gunicorn workers",)),
        TopicEntry(
            "nginx-gunicorn-supervisor",
            "Nginx, Gunicorn and Supervisor",
            ("nginx gunicorn", "deployment stack"),
        ),
    ]
)


def test_question_words_are_dropped():
    assert normalize_query("What is the GIL?") == "gil"


def test_explain_finds_topic_despite_typo():
    assert INDEX.find("globel interpreter lock").topic_id == "gil"


def test_short_alias_matches_only_as_a_whole_word():
    assert INDEX.find("es").topic_id == "elasticsearch"
    assert INDEX.find("kubernetes").topic_id is None


def test_context_words_do_not_drown_the_specific_one():
    assert INDEX.find("what is a cbv in django?").topic_id == "class-based-views"


def test_a_bare_python_is_too_broad_to_guess():
    assert INDEX.find("python").topic_id is None


def test_shared_words_beat_a_shorter_name_inside_the_query():
    assert INDEX.find("nginx gunicorn deployment").topic_id == "nginx-gunicorn-supervisor"
    assert INDEX.find("how many gunicorn workers").topic_id == "gunicorn"


COMPARED = TopicIndex(
    [
        TopicEntry("decorators", "Decorators", ("decorator",), "A decorator wraps a function."),
        TopicEntry("descriptors", "Descriptors", ("descriptor",), "A descriptor defines __get__."),
        TopicEntry(
            "identity",
            "is vs ==, mutability and copying",
            ("is vs ==", "is operator", "shallow copy"),
            "The is operator compares identity; == compares values.",
        ),
    ]
)


def test_a_comparison_of_two_topics_names_both():
    match = COMPARED.find("decorator vs descriptor")
    assert {match.topic_id, match.also} == {"decorators", "descriptors"}


def test_an_alias_made_of_symbols_matches_as_typed():
    assert COMPARED.find("is vs ==").topic_id == "identity"


def test_a_concept_the_bank_never_mentions_is_not_swapped_for_a_lookalike():
    match = COMPARED.find("walrus operator")
    assert match.topic_id is None and match.suggestions == ()


def test_an_injection_string_matches_nothing():
    assert INDEX.find("' OR 1=1 --") == INDEX.find("--") == INDEX.find("1=1")
    assert INDEX.find("' OR 1=1 --").topic_id is None
    assert INDEX.find("' OR 1=1 --").suggestions == ()


def test_a_word_far_from_every_topic_gets_no_suggestions():
    assert INDEX.find("kubernetes").suggestions == ()
