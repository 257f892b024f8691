"""Documents a question names by year: "the 2018 and 2020 white papers", "the 2022
edition", "Japan's 2022 National Defense Strategy".

A year followed by the kind of document names the document of that year whose title (and id)
fits the words around it best; several named together prefer editions of one series. Compare
(``qa.analyst.compare``) asks each document named; a question naming one is searched in that one
(``Engine.ask``).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from qa.text import word_set
from qa.text.words import NAME_TOKEN, title_words

_YEAR = re.compile(r"^(?:19|20)\d{2}$")
# Words that join the years of one mention: "the 2016, 2018 and 2020 editions".
_CONNECTORS = word_set("and or vs versus")
# Kinds of document a year can name: "the 2020 edition", "the 2018 white papers".
DOCUMENT_NOUNS = word_set(
    "paper papers whitepaper whitepapers edition editions version versions report reports "
    "strategy strategies review reviews update updates doctrine doctrines concept concepts "
    "assessment assessments plan plans policy policies document documents issue issues"
)


@dataclass(frozen=True)
class Named:
    """A document the question names: ``spans`` are the offsets ``(start, end)`` of the years
    that name it."""

    doc_id: str
    spans: tuple[tuple[int, int], ...]


def _question_words(tokens: Sequence[str]) -> set[str]:
    """The words of a question, without possessives, and each pair of neighbours joined
    ("South Korea's" -> south, korea, southkorea) to meet names written as one word."""
    plain = [re.sub(r"[’']s$", "", t.lower()) for t in tokens]
    return {*plain, *(a + b for a, b in itertools.pairwise(plain))}


def _skip_list(tokens: Sequence[re.Match[str]], start: int, step: int = 1) -> int:
    """The index of the first token from ``start`` (going by ``step``) that is neither a year
    nor a connector."""
    while 0 <= start < len(tokens) and (
        _YEAR.match(tokens[start].group(0)) or tokens[start].group(0).lower() in _CONNECTORS
    ):
        start += step
    return start


@dataclass(frozen=True)
class _Mention:
    """A year naming a document, and the words around it ("South Korea's 2018 Defense White
    Paper"), which say best which document of that year it is."""

    year: str
    span: tuple[int, int]
    context: frozenset[str]


def _mentions(
    tokens: Sequence[re.Match[str]], words_of: dict[str, frozenset[str]]
) -> list[_Mention]:
    """Each year followed by the kind of document it dates: a document noun, or two words of
    the title of a document of that year."""
    found = []
    words = [t.group(0) for t in tokens]
    for i, year in enumerate(words):
        if not _YEAR.match(year):
            continue
        titles = set().union(*(w for w in words_of.values() if year in w)) - {year}
        after = _skip_list(tokens, i + 1)
        following = [w.lower() for w in words[after : after + 4]]
        for run, word in enumerate(following):
            if word in DOCUMENT_NOUNS or (run >= 1 and word in titles):
                before = _skip_list(tokens, i - 1, step=-1)
                around = words[max(0, before - 2) : before + 1] + words[after : after + 4]
                found.append(_Mention(year, tokens[i].span(), frozenset(_question_words(around))))
                break
            if word not in titles:
                break
    return found


# How much the words around a year count against the rest of the question, and the words the
# documents named share (editions of one series): ties are broken, the question decides.
CONTEXT_WEIGHT = 2.0
SERIES_WEIGHT = 0.5


def _ranked(
    question: str, titles: dict[str, str]
) -> tuple[list[_Mention], list[str], list[tuple[float, tuple[str, ...]]]]:
    """The years ``question`` names documents by, and every choice of one document per year
    with how well it fits, best first (in id order among equals)."""
    tokens = list(NAME_TOKEN.finditer(question))
    if not any(_YEAR.match(t.group(0)) for t in tokens):
        return [], [], []  # most questions: no need to read every title
    words_of = {doc_id: title_words(doc_id, title) for doc_id, title in titles.items()}
    mentions = _mentions(tokens, words_of)
    years = list(dict.fromkeys(m.year for m in mentions))
    if not years:
        return [], [], []
    df = Counter(w for words in words_of.values() for w in words if not _YEAR.match(w))

    def weight(words: frozenset[str] | set[str]) -> float:
        return sum(math.log(1 + len(words_of) / df[w]) for w in words if w in df)

    asked = _question_words([t.group(0) for t in tokens])
    context = [frozenset().union(*(m.context for m in mentions if m.year == y)) for y in years]
    candidates = [sorted(d for d, w in words_of.items() if year in w) for year in years]

    def fit(combination: tuple[str, ...]) -> float:
        own = sum(
            CONTEXT_WEIGHT * weight(words_of[d] & near) + weight(words_of[d] & asked)
            for d, near in zip(combination, context, strict=True)
        )
        series = sum(
            weight(words_of[a] & words_of[b]) for a, b in itertools.combinations(combination, 2)
        )
        return own + SERIES_WEIGHT * series

    # Few documents share a year, so trying every combination stays cheap.
    scored = [(fit(c), c) for c in itertools.product(*candidates)]
    return mentions, years, sorted(scored, key=lambda item: -item[0])


def named_documents(question: str, titles: dict[str, str]) -> list[Named]:
    """The documents ``question`` names by year, in the order it names them.

    ``titles`` maps every indexed document id to its title. Several documents of one year are
    told apart by the words their titles share (idf-weighted) with the words around the year,
    then with the whole question, then with the other documents named.
    """
    mentions, years, ranked = _ranked(question, titles)
    if not ranked:
        return []
    best = dict(zip(years, ranked[0][1], strict=True))
    spans: dict[str, list[tuple[int, int]]] = {}
    for mention in mentions:
        spans.setdefault(best[mention.year], []).append(mention.span)
    return [Named(doc_id, tuple(s)) for doc_id, s in spans.items()]


def named_scope(question: str, titles: dict[str, str]) -> tuple[str, ...]:
    """The documents a question naming one document by year and kind ("according to the 2018
    white paper") is about: the one that fits best, or those that fit equally well (two white
    papers of 2018, told apart by nothing the question says). Empty when it names no year or
    several, or when no document of that year shares a word with the question besides the
    year (the only 2018 document an annual report, asked about "the 2018 white paper")."""
    _, years, ranked = _ranked(question, titles)
    if len(years) != 1 or not ranked or ranked[0][0] <= 0:
        return ()
    best = ranked[0][0]
    return tuple(doc_id for score, (doc_id,) in ranked if math.isclose(score, best))


def edition_year(words: frozenset[str]) -> int | None:
    """The one year in a document's title words, or None when it has none or several."""
    years = [w for w in words if _YEAR.match(w)]
    return int(years[0]) if len(years) == 1 else None


# How an answer's ``resolved_question`` says that the question was searched in the documents
# it names; follow-ups read the query without it.
_SCOPE = " (searched in {title} only)"
_SCOPE_NOTE = re.compile(r" \(searched in .+ only\)$")


def searched_in(query: str, titles: Sequence[str]) -> str:
    """``query`` with the note that it was searched in the documents ``titles`` only."""
    shown = titles[0] if len(titles) == 1 else f"{', '.join(titles[:-1])} and {titles[-1]}"
    return query + _SCOPE.format(title=shown)


def without_scope(query: str) -> str:
    """``query`` without the note ``searched_in`` added."""
    return _SCOPE_NOTE.sub("", query)
