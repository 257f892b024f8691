"""Ranking the candidate units of the top passages with the answer model.

The prefilter (cheap features) picks which candidates to embed; the ranker orders those by
the probability that they hold the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.answer.features import RANKER, candidate_table, dense_features
from qa.answer.model import AnswerModel, Linear
from qa.answer.question import QuestionAnalysis, analyse
from qa.answer.scoring import similarities
from qa.encoder import Encoder
from qa.settings import Settings
from qa.text.sentences import Sentence
from qa.types import Hit

# Encoding sentences dominates answer time: only the candidates the prefilter rates best are
# embedded (1.5 per passage read, at least 12).
MIN_ENCODED = 12
ENCODED_PER_PASSAGE = 1.5


@dataclass(frozen=True)
class ScoredSentence:
    """A candidate unit from ``hits[passage]``; ``index`` is its position in that passage;
    ``row`` is set when the sentence is a table row (see ``Unit``). ``probability`` is its
    share of the chance of holding the answer among the ranked candidates (``logit`` the
    ranker's score it comes from); ``carries`` says
    whether it holds the kind of phrase the question asks for; ``scored`` is the text that was
    scored (a row with its header)."""

    passage: int
    index: int
    sentence: Sentence
    dense: float
    lexical: float
    probability: float
    logit: float
    row: int | None = None
    carries: bool = False
    scored: str = ""


@dataclass(frozen=True)
class Ranking:
    """The embedded candidates best first, with their ranker features in the same order.

    ``rows``: (len(sentences), len(RANKER)) float64.
    """

    sentences: tuple[ScoredSentence, ...]
    rows: np.ndarray

    @property
    def logits(self) -> np.ndarray:
        return np.array([s.logit for s in self.sentences], dtype=np.float64)


def embedded(prefilter: Linear, cheap: np.ndarray, passages: int) -> np.ndarray:
    """Which candidates to embed: (n, len(CHEAP)) cheap features -> sorted row indices of the
    1.5 per passage read (at least ``MIN_ENCODED``) that ``prefilter`` rates best, or all."""
    encoded = max(MIN_ENCODED, round(ENCODED_PER_PASSAGE * passages))
    if len(cheap) <= encoded:
        return np.arange(len(cheap))
    return np.sort(np.argsort(-prefilter.logits(cheap), kind="stable")[:encoded])


def near_best(logits: np.ndarray, share: float) -> np.ndarray:
    """(n,) ranker scores, best first -> (n,) bool: the candidates whose softmax share is at
    least ``share`` of the best one's."""
    return logits >= logits[0] + np.log(share)


def score_sentences(
    question: str,
    hits: Sequence[Hit],
    encoder: Encoder,
    settings: Settings,
    model: AnswerModel,
    *,
    analysis: QuestionAnalysis | None = None,
    query_vector: np.ndarray | None = None,
    own_words: Sequence[str] | None = None,
) -> Ranking:
    """Candidate units of the top ``settings.answer_passages`` hits, best first by ``model``.

    ``analysis`` is ``analyse(question)`` unless given. Only the candidates the model's
    prefilter rates best (1.5 per passage, at least ``MIN_ENCODED``) are embedded, in at most
    one ``encoder.encode`` call for those not already cached (the question joins that batch
    unless ``query_vector`` is given).
    """
    analysis = analysis or analyse(question)
    passages = min(settings.answer_passages, len(hits))
    table = candidate_table(question, hits, analysis, passages=passages, own_words=own_words)
    if not table.candidates:
        return Ranking((), np.zeros((0, len(RANKER))))
    table = table.take(embedded(model.prefilter, table.cheap, passages))
    texts = [c.unit.scored for c in table.candidates]
    dense = similarities(encoder, question, texts, query_vector)
    rows = np.hstack([table.cheap, dense_features(dense)])
    logits = model.ranker.logits(rows)
    # The ranker's scores compare candidates of one question: their softmax is each one's
    # share of the chance of holding the answer.
    probability = np.exp(logits - logits.max())
    probability /= probability.sum()
    carried = table.column("carries")
    lexical = table.column("lexical")
    scored = [
        ScoredSentence(
            c.passage,
            c.index,
            c.unit.sentence,
            float(dense[i]),
            float(lexical[i]),
            float(probability[i]),
            float(logits[i]),
            c.unit.row,
            bool(carried[i]),
            c.unit.scored,
        )
        for i, c in enumerate(table.candidates)
    ]
    order = sorted(
        range(len(scored)), key=lambda i: (-logits[i], scored[i].passage, scored[i].index)
    )
    return Ranking(tuple(scored[i] for i in order), rows[order])
