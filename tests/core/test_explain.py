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
    match = INDEX.find("python")
    assert match.topic_id is None and "gil" in match.suggestions


def test_shared_words_beat_a_shorter_name_inside_the_query():
    assert INDEX.find("nginx gunicorn deployment").topic_id == "nginx-gunicorn-supervisor"
    assert INDEX.find("how many gunicorn workers").topic_id == "gunicorn"
