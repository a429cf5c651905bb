from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bank.model import CardQuestion, ChoiceQuestion
from bot.bank.parse import parse_topic_text
from bot.bank.validate import load_bank

GOOD = """\
---
id: sample
title: Sample topic
aliases: [example]
---
The short answer.

## Detail

More, with `code` and <angle> & ampersands.

## Questions

### choice sample-pick junior
Which one?

- [ ] First
- [x] Second
- [ ] Third

Why: Because the second is right.

### card sample-card senior
Recall this.

Answer: The answer, with code:

```python
print("hi")
```
"""


def parse(text: str):
    return parse_topic_text(text, Path("topic.md"))


def test_parses_front_matter_explanation_and_questions():
    topic, problems = parse(GOOD)
    assert problems == []
    assert topic.id == "sample" and topic.title == "Sample topic"
    assert topic.aliases == ("example",)
    assert topic.explanation.startswith("The short answer.")
    assert "<angle> & ampersands" in topic.explanation
    assert "## Questions" not in topic.explanation
    choice, card = topic.questions
    assert isinstance(choice, ChoiceQuestion)
    assert choice.options == ("First", "Second", "Third")
    assert choice.correct_index == 1
    assert choice.why == "Because the second is right."
    assert choice.line == 14
    assert choice.level == "junior"
    assert isinstance(card, CardQuestion)
    assert card.prompt == "Recall this."
    assert card.answer.startswith("The answer, with code:")
    assert 'print("hi")' in card.answer
    assert card.level == "senior"


@pytest.mark.parametrize(
    ("broken", "line", "message"),
    [
        (GOOD.replace("---\nid", "id", 1), 1, "must start with '---'"),
        (GOOD.replace("aliases: [example]", "aliases: [example"), 4, "not valid YAML"),
        (GOOD.replace("title: Sample topic\n", ""), 1, "non-empty 'title'"),
        (GOOD.replace("aliases: [example]", "aliases: example"), 1, "'aliases' must be a list"),
        (GOOD.replace("## Questions", "## Quizzes"), 6, "missing '## Questions'"),
        (GOOD.replace("sample-pick junior", "sample-pick"), 14, "must end with a level"),
        (GOOD.replace("sample-pick junior", "sample-pick expert"), 14, "got 'expert'"),
        (
            GOOD.replace("### choice sample-pick junior", "### poll sample-pick junior"),
            14,
            "must be 'choice <id> <level>'",
        ),
        (GOOD.replace("- [x] Second", "- [ ] Second"), 14, "exactly one '[x]'"),
        (GOOD.replace("- [ ] Third", "- [x] Third"), 14, "exactly one '[x]'"),
        (GOOD.replace("- [ ] First", "- First"), 17, "must start with '[ ]' or '[x]'"),
        (GOOD.replace("Why: Because the second is right.", ""), 14, "missing 'Why:'"),
        (GOOD.replace("Answer: The answer", "The answer"), 23, "missing 'Answer:'"),
        (GOOD.replace("Which one?\n\n", ""), 14, "question text is missing"),
    ],
)
def test_each_format_problem_is_reported_with_its_line(broken, line, message):
    _topic, problems = parse(broken)
    assert any(p.line == line and message in p.message for p in problems), problems


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ("Which one?", "W" * 301, "question is 301 characters; at most 300"),
        ("- [ ] First", "- [ ] " + "F" * 101, "is 101 characters; at most 100"),
        ("Because the second is right.", "B" * 201, "why is 201 characters; at most 200"),
        ("- [ ] First\n- [x] Second\n- [ ] Third", "- [x] Second", "has 1 options; needs 2 to 10"),
        ("- [ ] Third", "\n".join(f"- [ ] Option {n}" for n in range(10)), "has 12 options"),
        ("- [ ] Third", "- [ ] First", "two options are the same"),
        ("aliases: [example]", "see_also: [nowhere]", "'nowhere', which is not a topic"),
        ("id: sample", "id: Sample Topic", "must be lowercase"),
        (
            "### card sample-card senior",
            "### card sample-pick senior",
            "question id is used more than once",
        ),
        ("The short answer.", "x" * 4000, "explanation is"),
    ],
)
def test_each_validation_rule_is_enforced(tmp_path, replace, by, message):
    write(tmp_path, "sample.md", GOOD.replace(replace, by))
    _bank, problems = load_bank(tmp_path)
    assert any(message in p.message for p in problems), problems
    assert all(str(p).startswith(str(tmp_path / "sample.md") + ":") for p in problems)


def test_topic_ids_must_be_unique_across_files(tmp_path):
    write(tmp_path, "a.md", GOOD)
    write(tmp_path, "b.md", GOOD.replace("sample-", "other-"))
    _bank, problems = load_bank(tmp_path)
    assert any("used by more than one file" in p.message for p in problems)


def test_question_ids_must_be_unique_across_files(tmp_path):
    write(tmp_path, "a.md", GOOD)
    write(tmp_path, "b.md", GOOD.replace("id: sample", "id: other"))
    _bank, problems = load_bank(tmp_path)
    assert any("question id is used more than once" in p.message for p in problems)


def test_clean_bank_has_a_summary(tmp_path):
    write(tmp_path, "sample.md", GOOD)
    bank, problems = load_bank(tmp_path)
    assert problems == []
    assert bank.summary() == "1 topics, 2 questions (1 choice, 1 cards)"


def test_missing_directory_is_a_problem(tmp_path):
    _bank, problems = load_bank(tmp_path / "nope")
    assert "does not exist" in problems[0].message


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    text=st.text(max_size=600)
    | st.builds(
        lambda front, body: f"---\n{front}\n---\n{body}",
        st.text(max_size=200),
        st.text(max_size=400),
    )
    | st.builds(
        lambda heading, body: GOOD.replace("### card sample-card senior", f"### {heading}") + body,
        st.text(max_size=60),
        st.text(max_size=200),
    )
)
def test_any_text_parses_or_reports_file_and_line(text):
    topic, problems = parse(text)
    assert topic is not None or problems
    for problem in problems:
        assert str(problem).startswith("topic.md:") and problem.line >= 0
