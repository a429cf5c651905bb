"""Finding the topic a person means: by id, title, alias or words, despite typos."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

__all__ = ["TopicEntry", "TopicIndex", "TopicMatch", "normalize_query"]

# Words that make a query a question but say nothing about the topic.
_FILLER = frozenset(
    [
        "a",
        "about",
        "an",
        "and",
        "are",
        "between",
        "can",
        "could",
        "describe",
        "detail",
        "details",
        "diff",
        "difference",
        "differences",
        "do",
        "does",
        "explain",
        "explanation",
        "for",
        "give",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "mean",
        "means",
        "meaning",
        "of",
        "on",
        "or",
        "please",
        "python's",
        "role",
        "roles",
        "tell",
        "the",
        "their",
        "them",
        "there",
        "this",
        "to",
        "use",
        "used",
        "using",
        "versus",
        "vs",
        "was",
        "what",
        "whats",
        "when",
        "where",
        "which",
        "why",
        "with",
        "work",
        "works",
        "you",
        "your",
    ]
)
_NON_WORD = re.compile(r"[^a-z0-9_+#@.\s-]")
_SPACES = re.compile(r"\s+")

_MATCH_SCORE = 80.0
_SUGGEST_SCORE = 45.0


@dataclass(frozen=True)
class TopicEntry:
    id: str
    title: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TopicMatch:
    topic_id: str | None
    suggestions: tuple[str, ...] = ()


def normalize_query(text: str) -> str:
    """Lowercase, drop punctuation and question filler: 'What is the GIL?' -> 'gil'."""
    lowered = _NON_WORD.sub(" ", text.lower().replace("_", " "))
    lowered = lowered.replace("-", " ").replace(".", " ").replace("@", " ")
    words = [word for word in _SPACES.split(lowered) if word and word not in _FILLER]
    return " ".join(words)


class TopicIndex:
    """Every way of naming a topic, normalized once, searched with rapidfuzz."""

    def __init__(self, topics: Iterable[TopicEntry]) -> None:
        self.topics = {topic.id: topic for topic in topics}
        self._names: list[str] = []
        self._owners: list[str] = []
        for topic in self.topics.values():
            for name in (topic.id, topic.title, *topic.aliases):
                normalized = normalize_query(name)
                if normalized:
                    self._names.append(normalized)
                    self._owners.append(topic.id)
        self._exact: dict[str, str] = {}
        for name, owner in zip(self._names, self._owners, strict=True):
            self._exact.setdefault(name, owner)

    def find(self, query: str) -> TopicMatch:
        raw = query.strip().lower()
        if raw in self.topics:
            return TopicMatch(raw)
        normalized = normalize_query(query)
        if not normalized:
            return TopicMatch(None)
        exact = self._exact.get(normalized) or self._exact.get(normalized.replace(" ", ""))
        if exact:
            return TopicMatch(exact)
        ranked = self._rank(normalized)
        if ranked and ranked[0][1] >= _MATCH_SCORE:
            return TopicMatch(ranked[0][0])
        suggestions = tuple(topic for topic, score in ranked[:3] if score >= _SUGGEST_SCORE)
        return TopicMatch(None, suggestions)

    def _rank(self, normalized: str) -> list[tuple[str, float]]:
        """Topics by their best-scoring name, best first."""
        results = process.extract(
            normalized,
            self._names,
            scorer=_score,
            limit=None,
            score_cutoff=_SUGGEST_SCORE,
        )
        best: dict[str, float] = {}
        for _name, score, index in results:
            owner = self._owners[index]
            if score > best.get(owner, 0.0):
                best[owner] = score
        return sorted(best.items(), key=lambda item: -item[1])


def _score(query: str, name: str, **_: object) -> float:
    """Whole-string similarity, or a name found inside a longer query ('gil in python 3.13')."""
    whole = fuzz.WRatio(query, name)
    if len(name) >= 3 and len(query) > len(name):
        inside = fuzz.partial_ratio(name, query)
        if inside >= 90:
            whole = max(whole, inside - 5 + min(len(name), 10) * 0.5)
    return whole
