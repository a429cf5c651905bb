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
# Words nearly every topic could carry: they only count when nothing else is said.
_CONTEXT = frozenset(["python", "django", "py"])
_NON_WORD = re.compile(r"[^a-z0-9_+#@.\s-]")
_SPACES = re.compile(r"\s+")

_MATCH_SCORE = 85.0
_SUGGEST_SCORE = 60.0  # and a suggestion must share a word with the query
_WORD_BONUS = 0.3
_MARGIN = 2.0
_SHORTLIST = 24
_SHORT = 3  # names this short (es, orm, gil) only match as a whole word
_REMEMBERED = 4096  # answers to recent queries kept per index
_SIGNIFICANT = 4  # query words this long must be accounted for by the matched topic's names
_SAME_WORD = 80.0  # a word matches another at this similarity (one typo in a longer word)
_WORDY = re.compile(r"[a-z]{2}")
_TEXT_WORD = re.compile(r"[a-z0-9_+#]+")
_COMPARISON = re.compile(r"\b(vs|versus|compared?|difference|differences|diff)\b|\bor\b")


@dataclass(frozen=True)
class TopicEntry:
    id: str
    title: str
    aliases: tuple[str, ...] = ()
    text: str = ""  # the explanation: its words count as the topic's vocabulary


@dataclass(frozen=True)
class TopicMatch:
    """The topic meant; for a comparison of two topics ('decorator vs descriptor'), the second
    in `also`; when nothing matches, the topics close enough to suggest."""

    topic_id: str | None
    suggestions: tuple[str, ...] = ()
    also: str | None = None


def normalize_query(text: str) -> str:
    """Lowercase, drop punctuation and question filler: 'What is the GIL?' -> 'gil'."""
    lowered = _NON_WORD.sub(" ", text.lower().replace("_", " "))
    lowered = lowered.replace("-", " ").replace(".", " ").replace("@", " ")
    words = [word for word in _SPACES.split(lowered) if word and word not in _FILLER]
    return " ".join(words)


def _specific(normalized: str) -> str:
    """'celery django setup' -> 'celery setup': context words only count when alone."""
    words = normalized.split()
    return " ".join([word for word in words if word not in _CONTEXT] or words)


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
        # Names that are all symbols and filler ('is vs ==') match as typed.
        self._raw: dict[str, str] = {}
        self._words: dict[str, list[str]] = {}
        self._vocabulary: dict[str, frozenset[str]] = {}
        for topic in self.topics.values():
            words: set[str] = set()
            for name in (topic.id, topic.title, *topic.aliases):
                self._raw.setdefault(" ".join(name.lower().split()), topic.id)
                words.update(normalize_query(name).split())
            self._words[topic.id] = sorted(words)
            self._vocabulary[topic.id] = frozenset(_TEXT_WORD.findall(topic.text.lower())) | words
        self._known = frozenset().union(*self._vocabulary.values())
        self._all_names = sorted(set().union(*self._words.values()))
        self._long_names = [name for name in self._all_names if len(name) > _SHORT]
        self._short_names = frozenset(name for name in self._all_names if len(name) <= _SHORT)
        self._specific_names = [_specific(name) for name in self._names]
        # For the shortlist: each distinct name (as typed or without context words) with the
        # entries it stands for, and each name word with the entries that carry it.
        self._entries_named: dict[str, set[int]] = {}
        self._entries_with_word: dict[str, set[int]] = {}
        for index, names in enumerate(zip(self._names, self._specific_names, strict=True)):
            for name in names:
                self._entries_named.setdefault(name, set()).add(index)
                for word in name.split():
                    self._entries_with_word.setdefault(word, set()).add(index)
        self._distinct_names = sorted(self._entries_named)
        self._name_words = sorted(self._entries_with_word)
        self._found: dict[str, TopicMatch] = {}  # people ask the same things again and again

    def find(self, query: str) -> TopicMatch:
        found = self._found.get(query)
        if found is None:
            found = self._find(query)
            if len(self._found) >= _REMEMBERED:
                self._found.pop(next(iter(self._found)))
            self._found[query] = found
        return found

    def _find(self, query: str) -> TopicMatch:
        raw = " ".join(query.lower().split())
        if raw in self.topics:
            return TopicMatch(raw)
        if raw in self._raw:
            return TopicMatch(self._raw[raw])
        normalized = normalize_query(query)
        if not _WORDY.search(normalized):  # '' or "' OR 1=1 --": nothing to look up
            return TopicMatch(None)
        exact = self._exact.get(normalized) or self._exact.get(normalized.replace(" ", ""))
        if exact:
            return TopicMatch(exact)
        ranked = self._rank(normalized)
        too_broad = all(word in _CONTEXT for word in normalized.split())  # 'python', 'django'
        strong = [(topic, score) for topic, score in ranked if score >= _MATCH_SCORE]
        if strong and not too_broad:
            best, score = strong[0]
            runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
            if (
                _COMPARISON.search(raw)
                and len(strong) > 1
                and not self._names_cover(best, normalized)
            ):
                # 'gil vs celery': two topics, neither naming both sides: explain both.
                return TopicMatch(best, also=strong[1][0])
            # 'python' names half the bank equally well: better to ask than to guess.
            if score - runner_up >= _MARGIN and self._explains(best, normalized):
                return TopicMatch(best)
        if self._unknown_words(normalized):
            return TopicMatch(None)  # a concept the bank does not cover: nothing is close
        suggestions = tuple(
            topic
            for topic, score in ranked[:3]
            if score >= _SUGGEST_SCORE and self._shares_a_word(topic, normalized)
        )
        return TopicMatch(None, suggestions)

    def _names_cover(self, topic_id: str, normalized: str) -> bool:
        """Whether the topic's own names carry every word of the query ('jwt vs session')."""
        names = self._words[topic_id]
        return all(_best_word(w, names) >= _SAME_WORD for w in _specific(normalized).split())

    def _shares_a_word(self, topic_id: str, normalized: str) -> bool:
        names, vocabulary = self._words[topic_id], self._vocabulary[topic_id]
        return any(
            w in vocabulary or _best_word(w, names) >= _SAME_WORD
            for w in _specific(normalized).split()
        )

    def _unknown_words(self, normalized: str) -> list[str]:
        """Query words the bank never uses, nor anything spelled like them."""
        return [
            w
            for w in _specific(normalized).split()
            if len(w) >= _SIGNIFICANT
            and w not in self._known
            and self._nearest_name_word(w) < _SAME_WORD
        ]

    def _nearest_name_word(self, word: str) -> float:
        """`_best_word(word, self._all_names)`, with rapidfuzz's C loop over the bank's long
        name words (a short word must match exactly)."""
        if len(word) <= _SHORT:
            return 100.0 if word in self._short_names else 0.0
        found = process.extractOne(word, self._long_names, scorer=fuzz.ratio, score_cutoff=75)
        return float(found[1]) if found is not None else 0.0

    def _explains(self, topic_id: str, normalized: str) -> bool:
        """Whether the topic accounts for the query. A query word the bank never uses, nor
        anything spelled like it, names a concept we have no topic for ('walrus operator' is
        not 'is operator'): unless the topic's own words outnumber such words, no match."""
        unknown = self._unknown_words(normalized)
        if not unknown:
            return True
        names, vocabulary = self._words[topic_id], self._vocabulary[topic_id]
        words = [w for w in _specific(normalized).split() if len(w) >= _SIGNIFICANT]
        own = [w for w in words if w in vocabulary or _best_word(w, names) >= _SAME_WORD]
        return len(own) > len(unknown)

    def _candidates(self, normalized: str, specific: str) -> set[int]:
        """The names worth scoring in full: the nearest as wholes, by rapidfuzz's fast C scorer,
        and every name carrying a query word or something spelled like it (one typo)."""
        picked: set[int] = set()
        for query in dict.fromkeys((normalized, specific)):  # in a fixed order: ties too
            for name, _, _ in process.extract(
                query, self._distinct_names, scorer=fuzz.ratio, limit=_SHORTLIST
            ):
                picked |= self._entries_named[name]
        for word in set(normalized.split()):
            picked |= self._entries_with_word.get(word, set())
            if len(word) > _SHORT:
                for near, _, _ in process.extract(
                    word, self._name_words, scorer=fuzz.ratio, limit=None, score_cutoff=75
                ):
                    picked |= self._entries_with_word[near]
        return picked

    def _rank(self, normalized: str) -> list[tuple[str, float]]:
        """Topics by their best-scoring name, best first.

        A name scores the mean of two comparisons: as typed, and without context words (so
        'cbv django' is about CBVs, and 'celery django' still differs from 'celery').
        """
        query_specific = _specific(normalized)
        as_typed, specific = _WordTable(normalized), _WordTable(query_specific)
        best: dict[str, float] = {}
        for index in self._candidates(normalized, query_specific):
            name, name_specific = self._names[index], self._specific_names[index]
            owner = self._owners[index]
            score = (_score(as_typed, name) + _score(specific, name_specific)) / 2
            if score >= _SUGGEST_SCORE and score > best.get(owner, 0.0):
                best[owner] = score
        return sorted(best.items(), key=lambda item: -item[1])


class _WordTable:
    """A query, with the similarity of each of its words to each name word it meets: one
    query is scored against many names that share words ('python', 'django')."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.words = query.split()
        self._rows: dict[str, tuple[float, ...]] = {}

    def row(self, name_word: str) -> tuple[float, ...]:
        """The name word's similarity to each query word (0 below 75)."""
        found = self._rows.get(name_word)
        if found is None:
            found = self._rows[name_word] = tuple(_similar(w, name_word) for w in self.words)
        return found


def _similar(word: str, other: str) -> float:
    """fuzz.ratio of two words, 0 below 75; short words must match exactly ('orm' is not
    'form')."""
    if len(word) <= _SHORT or len(other) <= _SHORT:
        return 100.0 if word == other else 0.0
    return fuzz.ratio(word, other, score_cutoff=75)


def _score(query: _WordTable, name: str) -> float:
    """Whole-string similarity, or a name found inside a longer query ('gil in python 3.13'),
    plus a bonus for how many words the two share, typos allowed: 'ngnix gunicorn' is nearer
    'nginx gunicorn supervisor' than 'gunicorn'."""
    typed = query.query
    if len(name) <= _SHORT:
        return 100.0 if name in query.words else 0.0
    whole = fuzz.WRatio(typed, name)
    if len(name) >= 3 and len(typed) > len(name):
        inside = fuzz.partial_ratio(name, typed)
        if inside >= 90:
            whole = max(whole, inside - 5 + min(len(name), 10) * 0.5)
    return whole + _WORD_BONUS * _shared_words(query, name.split())


def _shared_words(query: _WordTable, name: list[str]) -> float:
    """F1 of the words each side finds on the other (0-100), a word matching at 75% or more."""
    if not query.words or not name:
        return 0.0
    rows = [query.row(word) for word in name]
    query_hits = sum(max(column) for column in zip(*rows, strict=True)) / len(query.words)
    name_hits = sum(max(row) for row in rows) / len(name)
    if query_hits + name_hits == 0:
        return 0.0
    return 2 * query_hits * name_hits / (query_hits + name_hits)


def _best_word(word: str, others: list[str]) -> float:
    """How well `word` matches its nearest in `others` (see `_similar`)."""
    return max((_similar(word, other) for other in others), default=0.0)
