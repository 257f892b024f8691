"""Fitting the answer model on collected questions (``qa.answer.training_data``): the
prefilter and the ranker (listwise), the confidence and its "not found" threshold (out of
file), the phrase ranker and its threshold, simulating the answer stage as it will run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.answer.features import CHEAP, QUESTION, RANKER, dense_features, question_features
from qa.answer.model import AnswerModel, Linear
from qa.answer.phrase_features import SPAN_FEATURES
from qa.answer.ranking import embedded, near_best
from qa.answer.shortanswer import SHORT_SENTENCES, best_phrase
from qa.answer.training_data import QuestionData

# The "not found" threshold keeps answering at least this share of answerable questions.
ANSWERED_TARGET = 0.95
# Regularisation of every logistic regression (sklearn's C): strong enough that a few hundred
# questions cannot pin a weight on one of them.
REGULARISATION = 0.5
# The rankers' L2 penalty on standardised weights (summed over a few hundred questions).
LISTWISE_PENALTY = 10.0
SHORT_PENALTY = 3.0
EXTRA_SHARES = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
# A wrong short answer (shown in bold) costs this many right ones.
WRONG_SHORT_COST = 0.25


def _standardisation(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, d) features -> (d,) mean and (d,) scale (the standard deviation, 1 for a constant
    feature): what ``Linear`` subtracts and divides by."""
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return rows.mean(axis=0), scale


def _fit_linear(rows: np.ndarray, labels: np.ndarray, names: tuple[str, ...]) -> Linear:
    from sklearn.linear_model import LogisticRegression

    mean, scale = _standardisation(rows)
    fitted = LogisticRegression(C=REGULARISATION, max_iter=2000)
    fitted.fit((rows - mean) / scale, labels.astype(int))
    return Linear(
        names, mean, scale, fitted.coef_[0].astype(np.float64), float(fitted.intercept_[0])
    )


def _fit_listwise(
    groups: Sequence[tuple[np.ndarray, np.ndarray]],
    names: tuple[str, ...],
    penalty: float = LISTWISE_PENALTY,
) -> Linear:
    """A ranker: weights maximising, over the questions, the softmax share of the candidates
    that hold the gold span among all of the question's candidates (with an L2 penalty).

    ``groups``: per question, (n, len(names)) features and (n,) bool labels. Scores are only
    compared within a question, so the intercept is 0.
    """
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    rows = np.vstack([r for r, _ in groups])
    mean, scale = _standardisation(rows)
    standard = [((r - mean) / scale, y) for r, y in groups if y.any()]

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        total = penalty * float(weights @ weights)
        gradient = 2 * penalty * weights
        for z, y in standard:
            scores = z @ weights
            every, right = logsumexp(scores), logsumexp(scores[y])
            total -= right - every
            share = np.exp(scores - every)
            target = np.zeros_like(scores)
            target[y] = np.exp(scores[y] - right)
            gradient -= z.T @ (target - share)
        return total, gradient

    weights = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B").x
    return Linear(names, mean, scale, weights, 0.0)


@dataclass(frozen=True)
class Simulated:
    """What the answer stage would do with one question under a prefilter and a ranker."""

    order: np.ndarray  # candidate indices of the embedded candidates, best first
    logits: np.ndarray
    rows: np.ndarray  # (len(order), len(RANKER))


def simulate(data: QuestionData, prefilter: Linear, ranker: Linear) -> Simulated:
    if not len(data.labels):
        return Simulated(np.zeros(0, dtype=int), np.zeros(0), np.zeros((0, len(RANKER))))
    chosen = embedded(prefilter, data.cheap, data.passages)
    rows = np.hstack([data.cheap[chosen], dense_features(data.dense[chosen])])
    logits = ranker.logits(rows)
    order = np.argsort(-logits, kind="stable")
    return Simulated(chosen[order], logits[order], rows[order])


def _selected(simulated: Simulated, extra_share: float, limit: int = 3) -> np.ndarray:
    """The candidates the answer would quote (see ``extractive._select``), duplicates aside."""
    if not len(simulated.logits):
        return simulated.order
    return simulated.order[near_best(simulated.logits, extra_share)][:limit]


def _rankers(train: Sequence[QuestionData]) -> tuple[Linear, Linear]:
    asked = [d for d in train if len(d.labels)]
    prefilter = _fit_listwise([(d.cheap, d.labels) for d in asked], CHEAP)
    full = [(np.hstack([d.cheap, dense_features(d.dense)]), d.labels) for d in asked]
    return prefilter, _fit_listwise(full, RANKER)


def _question_rows(
    data: Sequence[QuestionData], prefilter: Linear, ranker: Linear, extra_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """(questions, len(QUESTION)) features and whether each answer holds the gold span."""
    rows, correct = [], []
    for d in data:
        simulated = simulate(d, prefilter, ranker)
        rows.append(question_features(simulated.logits, simulated.rows, d.analysis, d.signals))
        correct.append(bool(d.labels[_selected(simulated, extra_share)].any()))
    return np.array(rows).reshape(len(rows), len(QUESTION)), np.array(correct, dtype=bool)


def _out_of_file(
    train: Sequence[QuestionData], extra_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Question rows of ``train``, each computed by rankers fitted without its file."""
    files = sorted({d.file for d in train})
    rows = np.zeros((len(train), len(QUESTION)))
    correct = np.zeros(len(train), dtype=bool)
    for file in files:
        held = [i for i, d in enumerate(train) if d.file == file]
        rest = [d for d in train if d.file != file]
        prefilter, ranker = _rankers(rest) if len(files) > 1 else _rankers(train)
        part, right = _question_rows([train[i] for i in held], prefilter, ranker, extra_share)
        rows[held], correct[held] = part, right
    return rows, correct


def _threshold(confidence: np.ndarray, answerable: np.ndarray) -> float:
    """The cut that answers at least ``ANSWERED_TARGET`` of the answerable questions and,
    within that, abstains on the most unanswerable ones."""
    if not answerable.any():
        return 0.5
    cuts = np.unique(np.concatenate([[0.0], confidence]))
    best, best_cut = -1.0, 0.0
    for cut in cuts:
        answered = (confidence[answerable] >= cut).mean()
        if answered < ANSWERED_TARGET:
            continue
        abstained = (confidence[~answerable] < cut).mean() if (~answerable).any() else 0.0
        score = abstained + 1e-3 * answered
        if score > best:
            best, best_cut = score, float(cut)
    # Halfway down to the next confidence below the cut: the same questions are answered, with
    # a margin for new ones.
    below = confidence[confidence < best_cut]
    return float((best_cut + below.max()) / 2) if len(below) else best_cut


def _short_choice(
    data: QuestionData, simulated: Simulated, phrase_ranker: Linear
) -> tuple[bool, float] | None:
    """Whether the short answer the answer stage would pick holds the gold span, and its share
    among its sentence's phrases (see ``shortanswer.best_phrase``); None without phrases."""
    if not len(simulated.order):
        return None
    probabilities = np.exp(simulated.logits - np.logaddexp.reduce(simulated.logits))
    quoted = simulated.order[:SHORT_SENTENCES]
    scores = [phrase_ranker.logits(data.phrase_rows[i]) for i in quoted]
    chosen = best_phrase(scores, probabilities[: len(quoted)])
    if chosen is None:
        return None
    sentence, phrase, share = chosen
    return bool(data.phrase_holds[quoted[sentence]][phrase]), share


def _phrase_ranker(train: Sequence[QuestionData]) -> Linear:
    """The phrase ranker, fitted on the phrases of the sentences that hold the gold span."""
    groups = [
        (d.phrase_rows[i], d.phrase_labels[i])
        for d in train
        for i in np.flatnonzero(d.labels)
        if d.phrase_labels[i].any()
    ]
    return _fit_listwise(groups, SPAN_FEATURES, SHORT_PENALTY)


def _short_model(
    train: Sequence[QuestionData], prefilter: Linear, ranker: Linear
) -> tuple[Linear, float]:
    """The phrase ranker and its threshold on the chosen phrase's share among its sentence's
    phrases (see ``_short_choice``): the share above which short answers gain most, a right
    one (holding the gold span) counting 1 and a wrong one ``WRONG_SHORT_COST``. The shares
    are those of phrase rankers fitted without each question's file, as new questions get."""
    files = sorted({d.file for d in train})
    shares, right = [], []
    for file in files:
        held = [d for d in train if d.file == file and d.answerable]
        outside = [d for d in train if d.file != file] if len(files) > 1 else train
        phrase_ranker = _phrase_ranker(outside)
        for d in held:
            chosen = _short_choice(d, simulate(d, prefilter, ranker), phrase_ranker)
            if chosen is not None:
                shares.append(chosen[1])
                right.append(chosen[0])
    p, r = np.array(shares), np.array(right)
    gains = [(r[p >= c].sum() - WRONG_SHORT_COST * (~r[p >= c]).sum(), -c) for c in np.unique(p)]
    return _phrase_ranker(train), float(-max(gains)[1]) if gains else 0.5


def fit(data: Sequence[QuestionData]) -> AnswerModel:
    prefilter, ranker = _rankers(data)
    best_share, best_right = 1.0, -1
    for share in EXTRA_SHARES:
        right = sum(
            bool(d.labels[_selected(simulate(d, prefilter, ranker), share)].any()) for d in data
        )
        if right > best_right:
            best_share, best_right = share, right
    rows, correct = _out_of_file(data, best_share)
    confidence = _fit_linear(rows, correct, QUESTION)
    answerable = np.array([d.answerable for d in data], dtype=bool)
    threshold = _threshold(confidence.probabilities(rows), answerable)
    short, short_threshold = _short_model(data, prefilter, ranker)
    return AnswerModel(
        prefilter=prefilter,
        ranker=ranker,
        confidence=confidence,
        short=short,
        threshold=threshold,
        extra_share=best_share,
        short_threshold=short_threshold,
        fitted_on=tuple(sorted({d.file for d in data})),
    )
