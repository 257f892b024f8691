"""The short answer: the phrase of a quoted sentence that answers the question ("300,000",
"KRW 46.7 trillion", "5 February 2023"). Always a slice of the sentence, never rewritten.

A question asking for a figure, date, name or person gets the typed phrase of that kind which
the question does not already say; any other question gets the longest run of the sentence
that the question does not already say ("... based on | performance-based logistics (PBL)").
"""

from __future__ import annotations

import re

from qa.answer.question import Expect, QuestionAnalysis
from qa.answer.spans import Span, counted_words, counts, spans_of
from qa.retrieval.fields import stem_words, words
from qa.text import word_set

# "240,000 tons | of nutrition aid": what a figure is of, up to a few words.
_OF_PHRASE = re.compile(r"\s+of\s+(?:[\w’'\-]+\s+){0,2}[\w’'\-]+")
_OF_STOP = re.compile(r"\b(?:and|or|in|to|for|by|from|on|at|with|as|the|which|that)\b")
_TOKEN = re.compile(r"[\w’'\-.%]+(?:\s*\([^()]{1,40}\))?")
# Words a new run may contain but neither start nor end with.
_GLUE = word_set(
    "a an the of in on at by for to from with and or as into its their his her this that these "
    "those is are was were be been being which who whom whose while than"
)
# The typed kinds a short answer is a phrase of; other questions take a run of new words.
_TYPED = (Expect.NUMBER, Expect.DATE, Expect.DURATION, Expect.PERSON, Expect.NAME)
_MEASURED = (Expect.NUMBER, Expect.DATE, Expect.DURATION)
RUN_MAX_WORDS = 16
# A question after what something is called, and the words that introduce such a name.
_ASKS_ALIAS = re.compile(r"\b(?:nickname|known as|called|go(?:es)? by|dubbed)\b", re.IGNORECASE)
_INTRODUCED = re.compile(
    r"\b(?:known as|called|nicknamed|dubbed|named|referred to as)\s+(?:the\s+)?[\"“‘']?$",
    re.IGNORECASE,
)


def _stems(text: str) -> set[str]:
    return set(stem_words(words(text)))


def _extended(sentence: str, span: Span) -> str:
    """A figure with what it counts: ``240,000 tons`` -> ``240,000 tons of nutrition aid``."""
    match = _OF_PHRASE.match(sentence, span.end)
    if match is None or span.kind is not Expect.NUMBER:
        return span.text
    tail = match.group(0)
    stop = _OF_STOP.search(tail, len(" of "))
    if stop is not None:
        tail = tail[: stop.start()]
    return sentence[span.start : span.end + len(tail.rstrip())].rstrip(" ,")


def _matches(asked: set[str], sentence: str) -> list[int]:
    """Character offsets of the words of ``sentence`` that the question also uses."""
    return [
        m.start()
        for m in _TOKEN.finditer(sentence)
        if m.group(0).lower() not in _GLUE and _stems(m.group(0)) & asked
    ]


def _closeness(start: int, end: int, matches: list[int]) -> float:
    """How near a phrase sits to the question's words in the sentence (higher is nearer)."""
    return sum(1.0 / (1.0 + abs(m - (start if m < start else end)) / 20) for m in matches)


def _unasked(text: str, asked: set[str]) -> list[str]:
    """The words of ``text`` the question does not use (glue words aside)."""
    return [w for w in words(text) if w.lower() not in _GLUE and not _stems(w) & asked]


def _is_new(span: Span, asked: set[str]) -> bool:
    """A phrase the question does not already say: for a figure, its digits; else its words."""
    if span.kind is Expect.NUMBER:
        digits = re.findall(r"\d[\d,.]*", span.text)
        core = " ".join(digits) if digits else span.text.split()[-1]
        return not _stems(core) <= asked
    return not _stems(span.text) <= asked


def _typed_candidates(
    analysis: QuestionAnalysis, asked: set[str], sentence: str, *, alias: bool = False
) -> list[tuple[float, str]]:
    """(closeness to the question's words, phrase) for the asked-for phrases of ``sentence``;
    with ``alias`` (the question asks what something is called), names introduced as such
    ("also known as Storm Corps") come first."""
    spans = [s for s in spans_of(sentence, analysis.expect) if _is_new(s, asked)]
    if analysis.expect in (Expect.NAME, Expect.PERSON):
        # A name sharing no word with the question beats one that repeats part of it.
        spans = [s for s in spans if not _stems(s.text) & asked] or spans
    if alias:
        spans = [s for s in spans if _INTRODUCED.search(sentence, 0, s.start)] or spans
    if analysis.expect is Expect.DATE:
        spans = [s for s in spans if s.text not in analysis.years]
    if analysis.counted:
        counted = _stems(analysis.counted)
        spans = [s for s in spans if counts(sentence, s, counted)] or spans
        # "about 6,000 volunteer reservists" counts fewer than the reservists asked about.
        spans = [s for s in spans if not _unasked(counted_words(s), asked)] or spans
    matches = _matches(asked, sentence)
    return [(_closeness(s.start, s.end, matches), _extended(sentence, s)) for s in spans]


def _new_runs(asked: set[str], sentence: str) -> list[tuple[int, int, int]]:
    """Runs of ``sentence`` whose content words the question does not use, as (content words,
    start, end) character offsets, trimmed of glue words at both ends."""
    tokens = list(_TOKEN.finditer(sentence))
    runs = []
    start = None
    content = 0
    for i, token in enumerate([*tokens, None]):
        word = token.group(0).lower() if token is not None else ""
        new = token is not None and (word in _GLUE or not _stems(word) & asked)
        if new and content < RUN_MAX_WORDS:
            if start is None:
                start, content = i, 0
            content += word not in _GLUE
            continue
        if start is not None:
            last = i - 1
            while last > start and tokens[last].group(0).lower() in _GLUE:
                last -= 1
            first = start
            while first < last and tokens[first].group(0).lower() in _GLUE - {"to"}:
                first += 1
            if content:
                runs.append((content, tokens[first].start(), tokens[last].end()))
            start = None
    return runs


def _best_run(asked: set[str], sentence: str, reasons: list[Span]) -> str | None:
    """The new run nearest the question's words, longer runs (up to a point) preferred; a
    purpose clause ("to strengthen ...") for a question asking why."""
    matches = _matches(asked, sentence)
    candidates = [(s.start, s.end) for s in reasons] or [
        (start, end) for _, start, end in _new_runs(asked, sentence)
    ]
    if not candidates:
        return None
    start, end = max(
        candidates,
        key=lambda c: _closeness(*c, matches) + min(len(sentence[c[0] : c[1]].split()), 8) / 8,
    )
    return sentence[start:end].rstrip(" ,;:.")


def short_answer(analysis: QuestionAnalysis, question: str, sentences: list[str]) -> str | None:
    """The phrase of the quoted ``sentences`` (best first) that answers ``question``, or None
    when none stands out.

    The first sentence holding an asked-for phrase the question does not already say gives
    it: one counting what the question counts ("how many troops" -> "4,000 troops") first,
    then the one nearest the question's words. Otherwise, unless a figure, a date or a
    duration was asked for, a run of the best sentence's words that the question does not use.
    """
    asked = _stems(question)
    alias = analysis.expect is Expect.NAME and _ASKS_ALIAS.search(question) is not None
    if analysis.expect in _TYPED:
        for sentence in sentences:
            found = _typed_candidates(analysis, asked, sentence, alias=alias)
            if found:
                return max(found, key=lambda item: item[0])[1]
        if analysis.expect in _MEASURED:
            return None  # words are never the answer to "how many" or "when"
    if not sentences:
        return None
    sentence = sentences[0]
    reasons = spans_of(sentence, Expect.REASON) if analysis.expect is Expect.REASON else []
    reasons = [r for r in reasons if _is_new(r, asked)]
    return _best_run(asked, sentence, reasons)
