"""Form figures: how far a person could get by reading the options' form, not their content.

A choice question gives itself away when its right option is the longest, or when the wrong
options carry absolute words ("always", "never") that test-wise people learn to rule out.
`content check` prints these figures and fails the bank when either shortcut beats 30%.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from bot.bank.model import LEVELS, Bank, ChoiceQuestion

__all__ = ["ABSOLUTE_WORDS", "MAX_SHORTCUT_SHARE", "FormFigures", "form_figures"]

MAX_SHORTCUT_SHARE = 0.30
ABSOLUTE_WORDS = frozenset(
    ["always", "never", "only", "must", "cannot", "can't", "all", "none", "every", "impossible"]
)
_WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class FormFigures:
    choices: int
    longest_share: float  # the right option is the longest (ties count)
    shortcut_share: float  # expected score of "drop absolutes, then pick the longest"
    positions: tuple[int, ...]  # how often the right option is first, second, ...
    levels: dict[str, int]
    questions: int

    @property
    def senior_share(self) -> float:
        return self.levels.get("senior", 0) / self.questions if self.questions else 0.0

    def problems(self) -> list[str]:
        found = []
        if self.longest_share > MAX_SHORTCUT_SHARE:
            found.append(
                f"the right option is the longest in {self.longest_share:.0%} of choice "
                f"questions; at most {MAX_SHORTCUT_SHARE:.0%}"
            )
        if self.shortcut_share > MAX_SHORTCUT_SHARE:
            found.append(
                f"'drop absolutes, then pick the longest' scores {self.shortcut_share:.0%}; "
                f"at most {MAX_SHORTCUT_SHARE:.0%}"
            )
        return found

    def lines(self) -> list[str]:
        spread = " / ".join(str(count) for count in self.positions)
        total = max(self.questions, 1)
        by_level = ", ".join(
            f"{self.levels.get(level, 0)} {level} ({self.levels.get(level, 0) / total:.0%})"
            for level in LEVELS
        )
        return [
            f"right option is the longest: {self.longest_share:.0%} of {self.choices} "
            "choice questions",
            f"'drop absolutes, then longest' scores: {self.shortcut_share:.0%}",
            f"right option by position: {spread}",
            f"levels: {by_level}",
        ]


def _is_absolute(option: str) -> bool:
    return any(word in ABSOLUTE_WORDS for word in _WORD.findall(option.lower()))


def _longest_guess_score(options: list[int], lengths: list[int], correct: int) -> float:
    """Chance that picking the longest of `options` (uniformly among ties) is right."""
    longest = max(lengths[i] for i in options)
    tied = [i for i in options if lengths[i] == longest]
    return 1 / len(tied) if correct in tied else 0.0


def form_figures(bank: Bank) -> FormFigures:
    choices = [q for q in bank.questions if isinstance(q, ChoiceQuestion)]
    longest = shortcut = 0.0
    positions: Counter[int] = Counter()
    for question in choices:
        lengths = [len(option) for option in question.options]
        everything = list(range(len(lengths)))
        if lengths[question.correct_index] == max(lengths):
            longest += 1
        plain = [i for i in everything if not _is_absolute(question.options[i])] or everything
        shortcut += _longest_guess_score(plain, lengths, question.correct_index)
        positions[question.correct_index] += 1
    count = len(choices)
    width = max(positions, default=-1) + 1
    return FormFigures(
        choices=count,
        longest_share=longest / count if count else 0.0,
        shortcut_share=shortcut / count if count else 0.0,
        positions=tuple(positions[i] for i in range(width)),
        levels=dict(Counter(q.level for q in bank.questions)),
        questions=len(bank.questions),
    )
