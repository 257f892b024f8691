"""The hand-set choice of short answer (earlier versions' whole method, now one of the phrase
model's features): the asked-for typed phrase nearest the question's words, else a run of
words the question does not say.
"""

from __future__ import annotations

import re

from qa.answer.phrases import (
    GLUE,
    MEASURED,
    asked_positions,
    closeness,
    extended,
    new_runs,
    stems,
)
from qa.answer.question import Expect, QuestionAnalysis
from qa.answer.spans import Span, counted_words, counts, spans_of
from qa.text.words import words

# The typed kinds a short answer is a phrase of; other questions take a run of new words.
_TYPED = (Expect.NUMBER, Expect.DATE, Expect.DURATION, Expect.PERSON, Expect.NAME)
# A question after what something is called, and the words that introduce such a name.
_ASKS_ALIAS = re.compile(r"\b(?:nickname|known as|called|go(?:es)? by|dubbed)\b", re.IGNORECASE)
INTRODUCED = re.compile(
    r"\b(?:known as|called|nicknamed|dubbed|named|referred to as)\s+(?:the\s+)?[\"“‘']?$",
    re.IGNORECASE,
)


def _unasked(text: str, asked: set[str]) -> list[str]:
    """The words of ``text`` the question does not use (glue words aside)."""
    return [w for w in words(text) if w.lower() not in GLUE and not stems(w) & asked]


def _is_new(span: Span, asked: set[str]) -> bool:
    """A phrase the question does not already say: for a figure, its digits; else its words."""
    if span.kind is Expect.NUMBER:
        digits = re.findall(r"\d[\d,.]*", span.text)
        core = " ".join(digits) if digits else span.text.split()[-1]
        return not stems(core) <= asked
    return not stems(span.text) <= asked


def _typed_candidates(
    analysis: QuestionAnalysis, asked: set[str], sentence: str, *, alias: bool = False
) -> list[tuple[float, str]]:
    """(closeness to the question's words, phrase) for the asked-for phrases of ``sentence``;
    with ``alias`` (the question asks what something is called), names introduced as such
    ("also known as Storm Corps") come first."""
    spans = [s for s in spans_of(sentence, analysis.expect) if _is_new(s, asked)]
    if analysis.expect in (Expect.NAME, Expect.PERSON):
        # A name sharing no word with the question beats one that repeats part of it.
        spans = [s for s in spans if not stems(s.text) & asked] or spans
    if alias:
        spans = [s for s in spans if INTRODUCED.search(sentence, 0, s.start)] or spans
    if analysis.expect is Expect.DATE:
        spans = [s for s in spans if s.text not in analysis.years]
    if analysis.counted:
        counted = stems(analysis.counted)
        spans = [s for s in spans if counts(sentence, s, counted)] or spans
        # "about 6,000 volunteer reservists" counts fewer than the reservists asked about.
        spans = [s for s in spans if not _unasked(counted_words(s), asked)] or spans
    matches = asked_positions(asked, sentence)
    return [(closeness(s.start, s.end, matches), extended(sentence, s)) for s in spans]


def _best_run(asked: set[str], sentence: str, reasons: list[Span]) -> str | None:
    """The new run nearest the question's words, longer runs (up to a point) preferred; a
    purpose clause ("to strengthen ...") for a question asking why."""
    matches = asked_positions(asked, sentence)
    candidates = [(s.start, s.end) for s in reasons] or [
        (start, end) for _, start, end in new_runs(asked, sentence)
    ]
    if not candidates:
        return None
    start, end = max(
        candidates,
        key=lambda c: closeness(*c, matches) + min(len(sentence[c[0] : c[1]].split()), 8) / 8,
    )
    return sentence[start:end].rstrip(" ,;:.")


def rule_choice(analysis: QuestionAnalysis, question: str, sentences: list[str]) -> str | None:
    """The hand-set choice of phrase from the quoted ``sentences`` (best first), or None.

    The first sentence holding an asked-for phrase the question does not already say gives
    it: one counting what the question counts ("how many troops" -> "4,000 troops") first,
    then the one nearest the question's words. Otherwise, unless a figure, a date or a
    duration was asked for, a run of the best sentence's words that the question does not use.
    """
    asked = stems(question)
    alias = analysis.expect is Expect.NAME and _ASKS_ALIAS.search(question) is not None
    if analysis.expect in _TYPED:
        for sentence in sentences:
            found = _typed_candidates(analysis, asked, sentence, alias=alias)
            if found:
                return max(found, key=lambda item: item[0])[1]
        if analysis.expect in MEASURED:
            return None  # words are never the answer to "how many" or "when"
    if not sentences:
        return None
    sentence = sentences[0]
    reasons = spans_of(sentence, Expect.REASON) if analysis.expect is Expect.REASON else []
    reasons = [r for r in reasons if _is_new(r, asked)]
    return _best_run(asked, sentence, reasons)
