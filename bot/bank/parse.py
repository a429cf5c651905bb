"""Parse one topic file: YAML front matter, an explanation, then `## Questions`.

The format (see the README's "Content" section):

    ---
    id: gil
    title: The GIL
    aliases: [global interpreter lock]
    ---
    Explanation in Markdown ...

    ## Questions

    ### choice gil-one-thread junior
    Question text?
    - [ ] wrong option
    - [x] right option
    Why: the short reason.

    ### card gil-io mid
    Prompt?
    Answer: the answer, any Markdown, to the end of the section.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.bank.model import LEVELS, CardQuestion, ChoiceQuestion, Problem, Question, Topic

__all__ = ["parse_topic_file", "parse_topic_text"]

_FRONT_MATTER_FENCE = "---"
_QUESTION_HEADING = re.compile(r"^(choice|card)\s+(\S+)(?:\s+(\S+))?\s*$", re.IGNORECASE)
_OPTION_MARK = re.compile(r"^\[( |x|X)\]\s+(.*)$", re.DOTALL)
# `tags` is accepted for the writers' own use; the bot reads nothing from it.
_LIST_FIELDS = ("aliases", "tags", "see_also", "references")

_markdown = MarkdownIt("commonmark")


def parse_topic_file(path: Path) -> tuple[Topic | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(path, 1, f"cannot read file: {error}")]
    return parse_topic_text(text, path)


def parse_topic_text(text: str, path: Path) -> tuple[Topic | None, list[Problem]]:
    problems: list[Problem] = []
    lines = text.splitlines()
    meta, body_offset = _split_front_matter(lines, path, problems)
    if meta is None:
        return None, problems

    body_lines = lines[body_offset:]
    tokens = _markdown.parse("\n".join(body_lines))

    def line_of(token: Token) -> int:
        return body_offset + (token.map[0] if token.map else 0) + 1

    questions_at = _find_questions_heading(tokens)
    if questions_at is None:
        explanation = "\n".join(body_lines).strip()
        problems.append(Problem(path, body_offset + 1, "missing '## Questions' section"))
        questions: list[Question] = []
    else:
        heading = tokens[questions_at]
        assert heading.map is not None
        explanation = "\n".join(body_lines[: heading.map[0]]).strip()
        questions = _parse_questions(
            tokens[questions_at + 3 :], body_lines, line_of, path, problems
        )

    topic_id = meta.get("id")
    title = meta.get("title")
    fields_ok = True
    for name, value in (("id", topic_id), ("title", title)):
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(path, 1, f"front matter needs a non-empty '{name}'"))
            fields_ok = False
    lists: dict[str, tuple[str, ...]] = {}
    for name in _LIST_FIELDS:
        value = meta.get(name, [])
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            problems.append(Problem(path, 1, f"front matter '{name}' must be a list of strings"))
            fields_ok = False
            value = []
        lists[name] = tuple(item.strip() for item in value)
    if not explanation:
        problems.append(Problem(path, body_offset + 1, "the explanation is empty"))
    if not fields_ok:
        return None, problems

    assert isinstance(topic_id, str) and isinstance(title, str)
    topic = Topic(
        id=topic_id.strip(),
        title=title.strip(),
        explanation=explanation,
        path=path,
        aliases=lists["aliases"],
        see_also=lists["see_also"],
        references=lists["references"],
        questions=tuple(questions),
    )
    return topic, problems


def _split_front_matter(
    lines: list[str], path: Path, problems: list[Problem]
) -> tuple[dict[str, Any] | None, int]:
    if not lines or lines[0].strip() != _FRONT_MATTER_FENCE:
        problems.append(Problem(path, 1, "file must start with '---' and YAML front matter"))
        return None, 0
    for index in range(1, len(lines)):
        if lines[index].strip() == _FRONT_MATTER_FENCE:
            break
    else:
        problems.append(Problem(path, 1, "front matter is not closed with '---'"))
        return None, 0
    try:
        meta = yaml.safe_load("\n".join(lines[1:index])) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = 2 + mark.line if mark is not None else 1
        problems.append(Problem(path, line, f"front matter is not valid YAML: {error}"))
        return None, 0
    if not isinstance(meta, dict):
        problems.append(Problem(path, 1, "front matter must be a YAML mapping"))
        return None, 0
    return meta, index + 1


def _find_questions_heading(tokens: list[Token]) -> int | None:
    for index, token in enumerate(tokens):
        if (
            token.type == "heading_open"
            and token.tag == "h2"
            and tokens[index + 1].content.strip().lower() == "questions"
        ):
            return index
    return None


def _sections(tokens: list[Token]) -> list[tuple[Token, str, list[Token]]]:
    """Split the tokens after `## Questions` at each `###` heading."""
    sections: list[tuple[Token, str, list[Token]]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open" and token.tag == "h3":
            sections.append((token, tokens[index + 1].content.strip(), []))
            index += 3
            continue
        if sections:
            sections[-1][2].append(token)
        index += 1
    return sections


def _parse_questions(
    tokens: list[Token],
    body_lines: list[str],
    line_of: Any,
    path: Path,
    problems: list[Problem],
) -> list[Question]:
    questions: list[Question] = []
    for heading, title, section in _sections(tokens):
        line = line_of(heading)
        match = _QUESTION_HEADING.match(title)
        if not match:
            problems.append(
                Problem(
                    path,
                    line,
                    "question heading must be 'choice <id> <level>' or 'card <id> <level>', "
                    f"got {title!r}",
                )
            )
            continue
        kind, question_id = match.group(1).lower(), match.group(2)
        level = (match.group(3) or "").lower()
        if level not in LEVELS:
            problems.append(
                Problem(
                    path,
                    line,
                    f"{kind} {question_id}: the heading must end with a level "
                    f"({', '.join(LEVELS)}), got {match.group(3) or 'none'!r}",
                )
            )
            continue
        if kind == "choice":
            question: Question | None = _parse_choice(
                question_id, level, line, section, line_of, path, problems
            )
        else:
            question = _parse_card(question_id, level, line, section, body_lines, path, problems)
        if question is not None:
            questions.append(question)
    return questions


def _top_level_paragraphs(section: list[Token]) -> list[tuple[Token, str]]:
    return [
        (token, section[index + 1].content)
        for index, token in enumerate(section)
        if token.type == "paragraph_open" and token.level == 0
    ]


def _parse_choice(
    question_id: str,
    level: str,
    line: int,
    section: list[Token],
    line_of: Any,
    path: Path,
    problems: list[Problem],
) -> ChoiceQuestion | None:
    prompt_parts: list[str] = []
    why = ""
    options: list[str] = []
    correct: list[int] = []
    seen_list = False
    for index, token in enumerate(section):
        if token.type == "paragraph_open" and token.level == 0:
            content = section[index + 1].content.strip()
            if content.lower().startswith("why:"):
                why = " ".join(content[4:].split())
            elif not seen_list:
                prompt_parts.append(content)
        elif token.type == "bullet_list_open" and token.level == 0:
            if seen_list:
                problems.append(
                    Problem(path, line_of(token), "a choice question has one list of options")
                )
            seen_list = True
        elif token.type == "inline" and token.level == 3 and seen_list:
            # the first paragraph of a list item
            mark = _OPTION_MARK.match(token.content.strip())
            if not mark:
                problems.append(
                    Problem(path, line_of(token), "an option must start with '[ ]' or '[x]'")
                )
                continue
            if mark.group(1).lower() == "x":
                correct.append(len(options))
            options.append(" ".join(mark.group(2).split()))
    ok = True
    if not prompt_parts:
        problems.append(Problem(path, line, f"choice {question_id}: the question text is missing"))
        ok = False
    if not options:
        problems.append(Problem(path, line, f"choice {question_id}: no options ('- [ ] ...')"))
        ok = False
    elif len(correct) != 1:
        problems.append(
            Problem(
                path,
                line,
                f"choice {question_id}: needs exactly one '[x]' option, found {len(correct)}",
            )
        )
        ok = False
    if not why:
        problems.append(Problem(path, line, f"choice {question_id}: missing 'Why:' line"))
        ok = False
    if not ok:
        return None
    return ChoiceQuestion(
        id=question_id,
        prompt="\n".join(prompt_parts),
        options=tuple(options),
        correct_index=correct[0],
        why=why,
        line=line,
        level=level,
    )


def _parse_card(
    question_id: str,
    level: str,
    line: int,
    section: list[Token],
    body_lines: list[str],
    path: Path,
    problems: list[Problem],
) -> CardQuestion | None:
    prompt_parts: list[str] = []
    answer = ""
    block_tokens = [t for t in section if t.level == 0 and t.map is not None and t.nesting >= 0]
    section_end = max((t.map[1] for t in block_tokens if t.map), default=0)
    for token, content in _top_level_paragraphs(section):
        text = content.strip()
        if text.lower().startswith("answer:"):
            assert token.map is not None
            raw = "\n".join(body_lines[token.map[0] : section_end]).strip()
            answer = raw[len("answer:") :].strip()
            break
        prompt_parts.append(text)
    if not prompt_parts:
        problems.append(Problem(path, line, f"card {question_id}: the prompt is missing"))
    if not answer:
        problems.append(Problem(path, line, f"card {question_id}: missing 'Answer:' paragraph"))
    if not prompt_parts or not answer:
        return None
    return CardQuestion(
        id=question_id, prompt="\n".join(prompt_parts), answer=answer, line=line, level=level
    )
