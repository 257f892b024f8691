"""The short answer: the phrase of a quoted sentence that answers the question ("300,000",
"KRW 46.7 trillion", "5 February 2023"). Always a whole phrase sliced from the sentence, never
rewritten, and only given when the answer model trusts it.

Candidates are the sentence's typed phrases (figures with what they count, dates, durations,
names, purposes, enumerations), its runs of words the question does not already say, its
clauses, and every other whole-word window of up to ``SHORT_MAX_WORDS`` words inside one table
cell or clause ("from 39 to 33", "Approx. 5.7 million", "45% of the minimum wage"); the
hand-set choice of earlier versions (``rule_choice``) is one of their features. The model in
``qa.answer.model`` scores them; the best is the short answer when its share of the chance and
the answer's confidence are high enough.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qa.answer.question import Expect, QuestionAnalysis
from qa.answer.spans import UNIT_PATTERNS, Span, counted_words, counts, spans_of, typed_spans
from qa.text import word_set
from qa.text.words import stem_words, words

if TYPE_CHECKING:
    from qa.answer.model import AnswerModel

# "240,000 tons | of nutrition aid": what a figure is of, up to a few words.
_OF_PHRASE = re.compile(r"\s+of\s+(?:[\w’'\-]+\s+){0,2}[\w’'\-]+")
_OF_STOP = re.compile(r"\b(?:and|or|in|to|for|by|from|on|at|with|as|the|which|that)\b")
# A word, a figure with its thousands ("500,000") or a word with its bracketed gloss.
_TOKEN = re.compile(r"[\w’'\-.%]+(?:,\d[\w’'\-.%]*)*(?:\s*\([^()]{1,40}\))?")
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
    if len(tail.split()) < 2:  # "45% of | the minimum wage": no bare "of" at the end
        return span.text
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
# Longer answers are quoted, not shortened: a short answer is a phrase of up to this many words.
SHORT_MAX_WORDS = 12
# The short answer is a phrase of one of this many best quoted sentences.
SHORT_SENTENCES = 2
# A short answer never spans a table's cells or rows, a semicolon or a colon.
_SEGMENT_BREAK = re.compile(r"\s*(?:;|:|\.\.\.|…)\s+")
# Words a phrase may open with among the glue words ("the highest body", "from 39 to 33").
_OPENERS = word_set("a an the from to within between its their his her this these those")
_ARTICLES = word_set("a an the")
# A question after a share is answered by a percentage.
_ASKS_SHARE = re.compile(r"%|\b(?:share|percentage|percent|per cent|proportion)\b", re.IGNORECASE)
SPAN_FEATURES = (
    "kind_asked",
    "holds_asked_kind",
    "words_before_kind",
    "words_after_kind",
    "typed",
    "run",
    "clause",
    "rule_choice",
    "holds_rule_choice",
    "asked_share",
    "any_asked",
    "closeness",
    "log_words",
    "counts_asked",
    "in_asked_unit",
    "question_year",
    "position",
    "capitalised",
    "capital_share",
    "has_digit",
    "introduced",
    "cell",
    "open_left",
    "open_right",
    "starts_article",
    "after_asked",
    "before_asked",
    *(f"kind_{kind.value}" for kind in (*_KINDS, Expect.LIST)),
)


@dataclass(frozen=True)
class Phrase:
    """``sentence[start:end]`` of the quoted sentence: a typed phrase of ``kind``, or (kind
    None) a run of words the question does not say, a clause, or any other whole-word window
    of up to ``SHORT_MAX_WORDS`` words within one cell or clause of the sentence (``source``
    says which)."""

    start: int
    end: int
    text: str
    kind: Expect | None
    source: str = "window"


def _in_word(char: str) -> bool:
    # A hyphen joins a compound ("mid-2015", "co-operation"): cutting there halves a word.
    return char.isalnum() or char == "-"


def _token_aligned(sentence: str, start: int, end: int) -> bool:
    """Whether ``sentence[start:end]`` starts and ends on word boundaries."""
    before = sentence[start - 1] if start > 0 else " "
    after = sentence[end] if end < len(sentence) else " "
    inside = sentence[start:end]
    # "500,000": the comma between digits is inside the figure.
    if start > 1 and before == "," and sentence[start - 2].isdigit() and inside[:1].isdigit():
        return False
    if after == "," and sentence[end + 1 : end + 2].isdigit() and inside[-1:].isdigit():
        return False
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


def _segments(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of the sentence's cells: the pieces between ``_SEGMENT_BREAK``s."""
    cuts = [(m.start(), m.end()) for m in _SEGMENT_BREAK.finditer(sentence)]
    starts = [0, *(b for _, b in cuts)]
    ends = [*(a for a, _ in cuts), len(sentence)]
    return list(zip(starts, ends, strict=True))


def _windows(sentence: str, segments: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start, end) of every run of up to ``SHORT_MAX_WORDS`` whole words inside one of the
    sentence's ``segments`` that neither opens nor ends on a glue word (bar ``_OPENERS`` at
    the start)."""
    out = []
    for seg_start, seg_end in segments:
        tokens = list(_TOKEN.finditer(sentence, seg_start, seg_end))
        lowered = [t.group(0).lower().rstrip(".") for t in tokens]
        for i, first in enumerate(lowered):
            if first in _GLUE and first not in _OPENERS:
                continue
            for j in range(i, min(i + SHORT_MAX_WORDS, len(tokens))):
                if lowered[j] not in _GLUE:
                    out.append((tokens[i].start(), tokens[j].end()))
    return out


def phrases(analysis: QuestionAnalysis, question: str, sentence: str) -> list[Phrase]:
    """The candidate short answers of ``sentence``: typed phrases (a figure with what it is
    of), runs of new words, clauses and the other whole-word windows, each a whole phrase.
    A question after a figure, a date or a duration only takes phrases holding one."""
    asked = _stems(question)
    segments = _segments(sentence)
    found: dict[tuple[int, int], Phrase] = {}
    spans = [s for s in typed_spans(sentence) if s.kind in _KINDS]
    if analysis.expect is Expect.LIST:
        spans += spans_of(sentence, Expect.LIST)
    for span in spans:
        text = _extended(sentence, span)
        end = span.start + len(text)
        found.setdefault((span.start, end), Phrase(span.start, end, text, span.kind, "typed"))
    sources = [
        *((start, end, "run") for _, start, end in _new_runs(asked, sentence)),
        *((start, end, "clause") for start, end in _clauses(sentence)),
        *((start, end, "window") for start, end in _windows(sentence, segments)),
    ]
    for start, end, source in sources:
        text = sentence[start:end].rstrip(" ,;:.")
        key = (start, start + len(text))
        found.setdefault(key, Phrase(start, start + len(text), text, None, source))
    measured = analysis.expect in _MEASURED
    asked_kind = [s for s in spans if s.kind is analysis.expect]
    return [
        p
        for p in found.values()
        if p.text
        and any(a <= p.start and p.end <= b for a, b in segments)
        and len(p.text.split()) <= max(RUN_MAX_WORDS, SHORT_MAX_WORDS)
        # The whole sentence is the quote, not a short answer.
        and p.text != sentence.strip().rstrip(" ,;:.")
        and _token_aligned(sentence, p.start, p.end)
        # Words are never the answer to "how many" or "when": only a phrase holding a figure,
        # date or duration is.
        and (not measured or any(p.start <= s.start and s.end <= p.end for s in asked_kind))
    ]


def _open(sentence: str, position: int, step: int) -> bool:
    """Whether punctuation or the sentence's edge bounds a phrase at ``position``."""
    piece = sentence[:position][-3:] if step < 0 else sentence[position:][:3]
    piece = piece.strip()
    if not piece:
        return True
    edge = piece[-1] if step < 0 else piece[0]
    return not edge.isalnum() and edge not in "-’'"


@dataclass(frozen=True)
class _Tokens:
    """The sentence's words with running counts, so that each phrase's word counts are two
    lookups: a sentence has hundreds of candidate phrases."""

    starts: list[int]
    ends: list[int]
    content: np.ndarray  # (n + 1,) int: words before each position that are not glue words
    shared: np.ndarray  # (n + 1,) int: ... of those, the ones the question uses
    capital: np.ndarray  # (n + 1,) int: ... of those, the capitalised ones
    asked: list[bool]  # per word: a content word the question uses
    digits: np.ndarray  # (len(sentence) + 1,) int: digits before each character

    @classmethod
    def of(cls, sentence: str, asked: set[str]) -> _Tokens:
        tokens = list(_TOKEN.finditer(sentence))
        lowered = [t.group(0).lower() for t in tokens]
        content = [w not in _GLUE for w in lowered]
        shared = [
            c and bool(_stems(t.group(0)) & asked) for c, t in zip(content, tokens, strict=True)
        ]
        capital = [c and t.group(0)[:1].isupper() for c, t in zip(content, tokens, strict=True)]

        def running(flags: Sequence[bool]) -> np.ndarray:
            return np.concatenate([[0], np.cumsum(flags, dtype=np.int64)])

        return cls(
            [t.start() for t in tokens],
            [t.end() for t in tokens],
            running(content),
            running(shared),
            running(capital),
            shared,
            running([ch.isdigit() for ch in sentence]),
        )

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The words wholly inside ``[start, end)``, as a range of word indices."""
        return bisect.bisect_left(self.starts, start), bisect.bisect_right(self.ends, end)


def phrase_features(
    analysis: QuestionAnalysis, question: str, sentence: str, found: Sequence[Phrase]
) -> np.ndarray:
    """(len(found), len(SPAN_FEATURES)) float64 for the phrases ``found`` in ``sentence``."""
    asked = _stems(question)
    chosen = rule_choice(analysis, question, [sentence])
    counted = _stems(analysis.counted) if analysis.counted else set()
    matches = _matches(asked, sentence)
    segments = [(a, b, sentence[a:b].strip(" ,;:.")) for a, b in _segments(sentence)]
    asked_kind = [s for s in typed_spans(sentence) if s.kind is analysis.expect]
    tokens = _Tokens.of(sentence, asked)
    units = [re.compile(rf"\b{re.escape(u)}\b", re.IGNORECASE) for u in analysis.units if u != "%"]
    share_asked = _ASKS_SHARE.search(question) is not None
    introduced = functools.cache(lambda at: _INTRODUCED.search(sentence, 0, at) is not None)
    rows = []
    for p in found:
        first, last = tokens.span(p.start, p.end)
        content = int(tokens.content[last] - tokens.content[first])
        shared = int(tokens.shared[last] - tokens.shared[first])
        capital = int(tokens.capital[last] - tokens.capital[first])
        kind_asked = p.kind is analysis.expect or (
            p.kind is None and p.source != "window" and analysis.expect in _RUN_ANSWERS
        )
        inner = [k for k in asked_kind if p.start <= k.start and k.end <= p.end]
        before_kind = min((len(sentence[p.start : k.start].split()) for k in inner), default=0)
        after_kind = min((len(sentence[k.end : p.end].split()) for k in inner), default=0)
        counts_asked = (
            p.kind is Expect.NUMBER
            and bool(counted)
            and counts(sentence, Span(p.kind, p.start, p.end, p.text), counted)
        )
        rows.append(
            [
                float(kind_asked),
                float(bool(inner)),
                math.log1p(before_kind),
                math.log1p(after_kind),
                float(p.source == "typed"),
                float(p.source == "run"),
                float(p.source == "clause"),
                float(p.text == chosen),
                float(chosen is not None and chosen in p.text),
                shared / content if content else 1.0,
                float(shared > 0),
                _closeness(p.start, p.end, matches) / (1.0 + len(matches)),
                math.log1p(len(p.text.split())),
                float(counts_asked),
                float(
                    (share_asked and UNIT_PATTERNS["percent"].search(p.text) is not None)
                    or any(u.search(p.text) for u in units)
                ),
                float(p.text in analysis.years),
                p.start / max(len(sentence), 1),
                float(p.text[:1].isupper()),
                capital / content if content else 0.0,
                float(tokens.digits[p.end] > tokens.digits[p.start]),
                float(introduced(p.start)),
                float(any(a <= p.start < b and text == p.text for a, b, text in segments)),
                float(_open(sentence, p.start, -1)),
                float(_open(sentence, p.end, 1)),
                float(p.text.split()[0].lower() in _ARTICLES),
                float(first > 0 and tokens.asked[first - 1]),
                float(last < len(tokens.asked) and tokens.asked[last]),
                *(float(p.kind is kind) for kind in (*_KINDS, Expect.LIST)),
            ]
        )
    return np.array(rows, dtype=np.float64).reshape(len(found), len(SPAN_FEATURES))


def asking(question: str, own_words: Sequence[str] | None) -> str:
    """The words a short answer should not repeat: a follow-up's own (its resolved query also
    holds the earlier turn's, whose answer may be the very phrase asked for now), else the
    question's."""
    return " ".join(own_words) if own_words else question


def best_phrase(
    scores: Sequence[np.ndarray], probabilities: Sequence[float]
) -> tuple[int, int, float] | None:
    """(sentence, phrase, share) of the likeliest answer among the phrases of the quoted
    sentences: ``scores[i]`` are the phrase model's logits of sentence i's phrases (float, any
    length), ``probabilities[i]`` the ranker's probability that sentence i holds the answer.
    A phrase's chance is its share among its sentence's phrases times its sentence's
    probability; ``share`` is the former. None when no sentence has a phrase."""
    best: tuple[float, int, int, float] | None = None
    for i, (logits, probability) in enumerate(zip(scores, probabilities, strict=True)):
        if not len(logits):
            continue
        shares = logits - np.logaddexp.reduce(logits)
        b = int(np.argmax(shares))
        joint = float(shares[b]) + math.log(max(probability, 1e-12))
        if best is None or joint > best[0]:
            best = (joint, i, b, float(np.exp(shares[b])))
    return None if best is None else best[1:]


def short_answer(
    analysis: QuestionAnalysis,
    question: str,
    sentences: Sequence[str],
    probabilities: Sequence[float],
    model: AnswerModel,
) -> str | None:
    """The phrase of the best quoted ``sentences`` (best first, with the ranker's probability
    that each holds the answer) most likely to be the answer (see ``best_phrase``), or None
    when its share among its sentence's phrases is below ``model.short_threshold``: a short
    answer only where one phrase stands out."""
    found = [phrases(analysis, question, sentence) for sentence in sentences[:SHORT_SENTENCES]]
    scores = [
        model.short.logits(phrase_features(analysis, question, sentence, candidates))
        for sentence, candidates in zip(sentences, found, strict=False)
    ]
    chosen = best_phrase(scores, probabilities[: len(found)])
    if chosen is None:
        return None
    sentence, phrase, share = chosen
    return found[sentence][phrase].text if share >= model.short_threshold else None
