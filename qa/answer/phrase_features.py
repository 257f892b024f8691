"""The features the phrase model scores a candidate short answer by (``SPAN_FEATURES``):
what kind of phrase it is and how it came about, how it sits among the question's words, what
it holds (figures, the asked-for unit, capitals), and whether it is the hand-set choice.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.answer.phrases import (
    GLUE,
    KINDS,
    TOKEN,
    Phrase,
    asked_positions,
    closeness,
    sentence_segments,
    stems,
)
from qa.answer.question import Expect, QuestionAnalysis
from qa.answer.rule_choice import INTRODUCED, rule_choice
from qa.answer.spans import UNIT_PATTERNS, Span, counts, typed_spans
from qa.text import word_set

# A run of new words answers a question that asks for no typed phrase.
_RUN_ANSWERS = (Expect.DESCRIPTION, Expect.REASON, Expect.LIST)
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
    *(f"kind_{kind.value}" for kind in (*KINDS, Expect.LIST)),
)


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
        tokens = list(TOKEN.finditer(sentence))
        lowered = [t.group(0).lower() for t in tokens]
        content = [w not in GLUE for w in lowered]
        shared = [
            c and bool(stems(t.group(0)) & asked) for c, t in zip(content, tokens, strict=True)
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
    asked = stems(question)
    chosen = rule_choice(analysis, question, [sentence])
    counted = stems(analysis.counted) if analysis.counted else set()
    matches = asked_positions(asked, sentence)
    segments = [(a, b, sentence[a:b].strip(" ,;:.")) for a, b in sentence_segments(sentence)]
    asked_kind = [s for s in typed_spans(sentence) if s.kind is analysis.expect]
    tokens = _Tokens.of(sentence, asked)
    units = [re.compile(rf"\b{re.escape(u)}\b", re.IGNORECASE) for u in analysis.units if u != "%"]
    share_asked = _ASKS_SHARE.search(question) is not None
    introduced = functools.cache(lambda at: INTRODUCED.search(sentence, 0, at) is not None)
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
                closeness(p.start, p.end, matches) / (1.0 + len(matches)),
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
                *(float(p.kind is kind) for kind in (*KINDS, Expect.LIST)),
            ]
        )
    return np.array(rows, dtype=np.float64).reshape(len(found), len(SPAN_FEATURES))
