"""The short answer: the phrase of a quoted sentence that answers the question ("300,000",
"KRW 46.7 trillion", "5 February 2023"). Always a whole phrase sliced from the sentence, never
rewritten, and only given when the answer model trusts it.

Candidates are the sentence's typed phrases (figures with what they count, dates, durations,
names, purposes, enumerations) and its runs of words the question does not already say; the
hand-set choice of earlier versions (``rule_choice``) is one of their features. The model in
``qa.answer.model`` scores them; the best is the short answer when its probability and the
answer's confidence are high enough.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qa.answer.question import Expect, QuestionAnalysis
from qa.answer.spans import Span, counted_words, counts, spans_of, typed_spans
from qa.retrieval.fields import stem_words, words
from qa.text import word_set

if TYPE_CHECKING:
    from qa.answer.model import AnswerModel

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


def rule_choice(analysis: QuestionAnalysis, question: str, sentences: list[str]) -> str | None:
    """The hand-set choice of phrase from the quoted ``sentences`` (best first), or None.

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


_KINDS = (Expect.NUMBER, Expect.DATE, Expect.DURATION, Expect.PERSON, Expect.NAME, Expect.REASON)
# A run of new words answers a question that asks for no typed phrase.
_RUN_ANSWERS = (Expect.DESCRIPTION, Expect.REASON, Expect.LIST)
SPAN_FEATURES = (
    "kind_asked",
    "run",
    "rule_choice",
    "asked_share",
    "closeness",
    "log_words",
    "counts_asked",
    "question_year",
    "position",
    "capitalised",
    "has_digit",
    "introduced",
    *(f"kind_{kind.value}" for kind in (*_KINDS, Expect.LIST)),
)


@dataclass(frozen=True)
class Phrase:
    """``sentence[start:end]`` of the quoted sentence, of ``kind`` (None for a run of words the
    question does not say)."""

    start: int
    end: int
    text: str
    kind: Expect | None


def _in_word(char: str) -> bool:
    # A hyphen joins a compound ("mid-2015", "co-operation"): cutting there halves a word.
    return char.isalnum() or char == "-"


def _token_aligned(sentence: str, start: int, end: int) -> bool:
    """Whether ``sentence[start:end]`` starts and ends on word boundaries."""
    before = sentence[start - 1] if start > 0 else " "
    after = sentence[end] if end < len(sentence) else " "
    inside = sentence[start:end]
    return bool(inside.strip()) and not (
        (_in_word(before) and _in_word(inside[0])) or (_in_word(after) and _in_word(inside[-1]))
    )


# Where a clause of a sentence ends: punctuation, or a word that opens another clause.
_CLAUSE_END = re.compile(
    r"[,;:()]\s*|\s(?=(?:and|or|but|while|whereas|which|who|whom|where|when|because|as|"
    r"through|by|to|in order to)\s)"
)


def _clauses(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of the sentence's clauses and of each pair of neighbouring clauses, trimmed
    of glue words, up to ``RUN_MAX_WORDS`` words: the phrase answering a "what"/"how" question
    is often one clause ("with the least damage within the shortest time")."""
    cuts = [0, *(m.end() for m in _CLAUSE_END.finditer(sentence)), len(sentence)]
    pieces = [(a, b) for a, b in itertools.pairwise(cuts) if sentence[a:b].strip(" ,;:.()")]
    spans = [*pieces, *((a[0], b[1]) for a, b in itertools.pairwise(pieces))]
    out = []
    for start, end in spans:
        tokens = list(_TOKEN.finditer(sentence, start, end))
        while tokens and tokens[-1].group(0).lower() in _GLUE:
            tokens.pop()
        while tokens and tokens[0].group(0).lower() in _GLUE - {"to"}:
            tokens.pop(0)
        if tokens and len(tokens) <= RUN_MAX_WORDS:
            out.append((tokens[0].start(), tokens[-1].end()))
    return out


def phrases(analysis: QuestionAnalysis, question: str, sentence: str) -> list[Phrase]:
    """The candidate short answers of ``sentence``: typed phrases (a figure with what it is
    of), runs of new words and clauses, each a whole phrase."""
    asked = _stems(question)
    found: dict[tuple[int, int], Phrase] = {}
    spans = [s for s in typed_spans(sentence) if s.kind in _KINDS]
    if analysis.expect is Expect.LIST:
        spans += spans_of(sentence, Expect.LIST)
    for span in spans:
        text = _extended(sentence, span)
        end = span.start + len(text)
        found.setdefault((span.start, end), Phrase(span.start, end, text, span.kind))
    runs = [(start, end) for _, start, end in _new_runs(asked, sentence)]
    for start, end in [*runs, *_clauses(sentence)]:
        text = sentence[start:end].rstrip(" ,;:.")
        found.setdefault((start, start + len(text)), Phrase(start, start + len(text), text, None))
    # Words are never the answer to "how many" or "when": only a phrase of that kind is.
    measured = analysis.expect in _MEASURED
    return [
        p
        for p in found.values()
        if p.text
        and len(p.text.split()) <= RUN_MAX_WORDS
        and _token_aligned(sentence, p.start, p.end)
        and (not measured or p.kind is analysis.expect)
    ]


def phrase_features(
    analysis: QuestionAnalysis, question: str, sentence: str, found: Sequence[Phrase]
) -> np.ndarray:
    """(len(found), len(SPAN_FEATURES)) float64 for the phrases ``found`` in ``sentence``."""
    asked = _stems(question)
    chosen = rule_choice(analysis, question, [sentence])
    counted = _stems(analysis.counted) if analysis.counted else set()
    matches = _matches(asked, sentence)
    rows = []
    for p in found:
        content = [w for w in words(p.text) if w.lower() not in _GLUE]
        shared = sum(1 for w in content if _stems(w) & asked)
        span = Span(p.kind or Expect.DESCRIPTION, p.start, p.end, p.text)
        kind_asked = p.kind is analysis.expect or (
            p.kind is None and analysis.expect in _RUN_ANSWERS
        )
        rows.append(
            [
                float(kind_asked),
                float(p.kind is None),
                float(p.text == chosen),
                shared / len(content) if content else 1.0,
                _closeness(p.start, p.end, matches) / (1.0 + len(matches)),
                math.log1p(len(p.text.split())),
                float(
                    p.kind is Expect.NUMBER and bool(counted) and counts(sentence, span, counted)
                ),
                float(p.text in analysis.years),
                p.start / max(len(sentence), 1),
                float(p.text[:1].isupper()),
                float(any(ch.isdigit() for ch in p.text)),
                float(_INTRODUCED.search(sentence, 0, p.start) is not None),
                *(float(p.kind is kind) for kind in (*_KINDS, Expect.LIST)),
            ]
        )
    return np.array(rows, dtype=np.float64).reshape(len(found), len(SPAN_FEATURES))


def short_answer(
    analysis: QuestionAnalysis, question: str, sentence: str, model: AnswerModel
) -> str | None:
    """The phrase of ``sentence`` (the best quoted one) the model rates most likely to be the
    answer, or None when its share among the candidates is below ``model.short_threshold``."""
    found = phrases(analysis, question, sentence)
    if not found:
        return None
    scores = model.short.logits(phrase_features(analysis, question, sentence, found))
    best = int(np.argmax(scores))
    # The phrase's share of the chance among the sentence's phrases: a short answer only where
    # one phrase stands out.
    share = float(np.exp(scores[best] - np.logaddexp.reduce(scores)))
    return found[best].text if share >= model.short_threshold else None
