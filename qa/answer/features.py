"""What the answer model reads: features of each candidate unit and of each question.

A candidate is a sentence or table row of one of the top passages. Its *cheap* features need
no embedding (word overlap, kind of phrase, years, passage rank, block kind); the ranker adds
the candidate's similarity to the question (``dense_features``), which is only computed for the
candidates the cheap features make promising. The question's features (how the best candidate
scored, whether the passages name what the question names) decide "not found" and the
confidence.

Every feature is a plain number in a fixed order (``CHEAP``, ``DENSE``, ``QUESTION``), so the
fitted weights in ``qa/answer/answer_model.json`` can be read against these names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.answer.question import Expect, QuestionAnalysis
from qa.answer.scoring import (
    answer_focus,
    carries,
    counts_asked,
    document_stems,
    lexical_overlap,
    passage_stems,
    question_terms,
    spelled_out_stems,
    year_fit,
)
from qa.answer.spans import typed_spans
from qa.text.units import Unit, is_quotable, passage_units
from qa.text.words import tokenize_for_bm25, words
from qa.types import CAPTION, FIGURE, Hit

CHEAP = (
    "lexical",
    "lexical_own",
    "lexical_gap",
    "passage_lexical",
    "names_in_sentence",
    "prior",
    "retrieval_share",
    "carries",
    "focus",
    "counts_asked",
    "year_match",
    "year_conflict",
    "label_text",
    "table_row",
    "first_in_passage",
    "log_words",
    "has_figure",
)
DENSE = ("dense", "dense_gap")
RANKER = CHEAP + DENSE
QUESTION = (
    "top_logit",
    "margin",
    "top_dense",
    "top_lexical",
    "top_names",
    "named_coverage",
    "missing_names",
    "uncounted",
    "missing_unit",
    "top_carries",
    "top_counts",
    "top_focus",
    "top_year_conflict",
    "asks_measure",
    "asks_description",
    "log_question_terms",
    "top_share",
    "any_missing_names",
    "coverage_shortfall",
    "measure_uncounted",
)


@dataclass(frozen=True)
class Candidate:
    """Unit ``index`` of ``hits[passage]``."""

    passage: int
    index: int
    unit: Unit


@dataclass(frozen=True)
class CandidateTable:
    """The candidates of one question and their cheap features.

    ``cheap``: (n, len(CHEAP)) float64, one row per candidate in passage order.
    """

    candidates: tuple[Candidate, ...]
    cheap: np.ndarray

    def column(self, name: str) -> np.ndarray:
        return self.cheap[:, CHEAP.index(name)]

    def take(self, rows: np.ndarray) -> CandidateTable:
        return CandidateTable(tuple(self.candidates[i] for i in rows), self.cheap[rows])


def _share(names: frozenset[str], present: frozenset[str]) -> float:
    return len(names & present) / len(names) if names else 1.0


def candidate_table(
    question: str,
    hits: Sequence[Hit],
    analysis: QuestionAnalysis,
    *,
    passages: int,
    own_words: Sequence[str] | None = None,
) -> CandidateTable:
    """Every quotable unit of the top ``passages`` hits with its cheap features."""
    top = hits[:passages]
    candidates = tuple(
        Candidate(p, i, unit)
        for p, hit in enumerate(top)
        for i, unit in enumerate(passage_units(hit.chunk))
        if is_quotable(hit.chunk, unit)
    )
    if not candidates:
        return CandidateTable((), np.zeros((0, len(CHEAP))))
    terms = question_terms(question, own_words)
    names = frozenset(tokenize_for_bm25([" ".join(analysis.names)])[0])
    headers = [document_stems(hit) for hit in top]
    stems = [passage_stems(hit) for hit in top]
    around = [names & passage_stems(hit, glossary=False) for hit in top]
    best_score = max(top[0].score, 1e-9)
    total = sum(terms.values())
    rows = []
    for c in candidates:
        text, hit = c.unit.scored, top[c.passage]
        own = frozenset(tokenize_for_bm25([text])[0])
        expanded = headers[c.passage] | spelled_out_stems(text, hit)
        passage_cover = sum(w for t, w in terms.items() if t in stems[c.passage])
        years = year_fit(text, analysis)
        rows.append(
            [
                lexical_overlap(terms, text, expanded, around[c.passage]),
                lexical_overlap(terms, text),
                0.0,  # lexical_gap, filled below
                passage_cover / total if total > 0 else 0.0,
                _share(names, own | expanded),
                1.0 / (1.0 + c.passage),
                max(hit.score, 0.0) / best_score,
                float(carries(text, analysis)),
                answer_focus(text, analysis, terms),
                float(counts_asked(text, analysis)),
                float(years > 0),
                float(years < 0),
                float(hit.chunk.kind in (FIGURE, CAPTION)),
                float(c.unit.row is not None),
                float(c.index == 0),
                math.log1p(len(words(text))),
                float(any(s.kind is Expect.NUMBER for s in typed_spans(text))),
            ]
        )
    cheap = np.array(rows, dtype=np.float64)
    lexical = cheap[:, CHEAP.index("lexical")]
    cheap[:, CHEAP.index("lexical_gap")] = lexical - lexical.max()
    return CandidateTable(candidates, cheap)


def dense_features(dense: np.ndarray) -> np.ndarray:
    """(n,) cosine similarities -> (n, len(DENSE)) float64: the cosine (clipped at 0) and its
    distance below the question's best candidate."""
    clipped = np.clip(dense.astype(np.float64), 0.0, 1.0)
    best = clipped.max() if len(clipped) else 0.0
    return np.stack([clipped, clipped - best], axis=1)


# Answerable questions mostly find at least this share of their names in the top passages.
COVERAGE_USUAL = 0.75


def _top_share(logits: np.ndarray) -> float:
    """The best candidate's softmax share among the ranked ones (0 without candidates)."""
    if not len(logits):
        return 0.0
    return float(np.exp(logits[0] - np.logaddexp.reduce(logits)))


@dataclass(frozen=True)
class QuestionSignals:
    """What the passages' checks found for a question: the share of its names they mention,
    the particular names they never mention, whether no figure counts what it asks the number
    of, the unit no figure is given in ("" when none is missing), and how many names it has.
    They feed the confidence and, on a "not found", the reason given."""

    named_coverage: float
    missing_names: tuple[str, ...]
    uncounted: bool
    missing_unit: str
    question_terms: int


def question_features(
    logits: np.ndarray,
    ranker_rows: np.ndarray,
    analysis: QuestionAnalysis,
    signals: QuestionSignals,
) -> np.ndarray:
    """(len(QUESTION),) float64 for one question.

    ``logits``: (n,) ranker scores of the embedded candidates, best first; ``ranker_rows``:
    (n, len(RANKER)) their features in the same order. With no candidate, the best-candidate
    features are those of an empty answer.
    """
    if len(logits):
        top = ranker_rows[0]
        top_logit = float(logits[0])
        margin = float(logits[0] - logits[1]) if len(logits) > 1 else 5.0
        best = tuple(
            float(top[RANKER.index(name)])
            for name in (
                "dense",
                "lexical",
                "names_in_sentence",
                "carries",
                "counts_asked",
                "focus",
                "year_conflict",
            )
        )
    else:
        top_logit, margin, best = -10.0, 0.0, (0.0,) * 7
    dense, lexical, names, carried, counting, focus, conflict = best
    asks_measure = analysis.expect in (Expect.NUMBER, Expect.DATE, Expect.DURATION)
    return np.array(
        [
            top_logit,
            margin,
            dense,
            lexical,
            names,
            signals.named_coverage,
            float(len(signals.missing_names)),
            float(signals.uncounted),
            float(bool(signals.missing_unit)),
            carried,
            counting,
            focus,
            conflict,
            float(asks_measure),
            float(analysis.expect is Expect.DESCRIPTION),
            math.log1p(signals.question_terms),
            # Interactions a linear model cannot form itself: how far the best candidate
            # stands out, any name missing at all, coverage below most answerable questions',
            # and a figure asked for that no top candidate counts.
            _top_share(logits),
            float(bool(signals.missing_names)),
            max(0.0, COVERAGE_USUAL - signals.named_coverage),
            float(asks_measure and not counting),
        ],
        dtype=np.float64,
    )
