from __future__ import annotations

import numpy as np

from qa.answer.features import CHEAP, QuestionSignals
from qa.answer.phrase_features import SPAN_FEATURES
from qa.answer.question import analyse
from qa.answer.training import ANSWERED_TARGET, _threshold, fit, simulate
from qa.answer.training_data import QuestionData

ANALYSIS = analyse("What did the fleet commission?")


def _question(rng: np.random.Generator, file: str, answerable: bool) -> QuestionData:
    """Ten candidates; an answerable question's answer is the one closest in words and
    meaning, and its right phrase is the one of the asked-for kind."""
    n = 10
    cheap = rng.normal(size=(n, len(CHEAP)))
    dense = rng.uniform(0.1, 0.5, n)
    labels = np.zeros(n, dtype=bool)
    if answerable:
        gold = int(rng.integers(n))
        labels[gold] = True
        cheap[gold, CHEAP.index("lexical")] += 2.5
        dense[gold] += 0.35
    rows, phrase_labels = [], []
    for i in range(n):
        phrase = rng.normal(size=(3, len(SPAN_FEATURES)))
        right = np.zeros(3, dtype=bool)
        if labels[i]:
            phrase[1, SPAN_FEATURES.index("kind_asked")] += 3
            right[1] = True
        rows.append(phrase)
        phrase_labels.append(right)
    signals = QuestionSignals(
        float(rng.uniform(0.6, 1) if answerable else rng.uniform(0, 0.7)), (), False, "", 3
    )
    return QuestionData(
        file,
        "q",
        answerable,
        ANALYSIS,
        signals,
        cheap,
        dense,
        labels,
        8,
        rows,
        phrase_labels,
        phrase_labels,
    )


def _data(seed: int) -> list[QuestionData]:
    rng = np.random.default_rng(seed)
    return [
        _question(rng, f"set-{f}.jsonl", answerable=i % 4 != 0) for f in range(3) for i in range(40)
    ]


def test_the_fitted_model_ranks_answers_first_and_is_confident_where_answerable() -> None:
    model = fit(_data(1))
    held_out = _data(2)
    answerable = [d for d in held_out if d.answerable]
    first = [d.labels[simulate(d, model.prefilter, model.ranker).order[0]] for d in answerable]
    assert np.mean(first) >= 0.85
    assert model.fitted_on == ("set-0.jsonl", "set-1.jsonl", "set-2.jsonl")
    assert 0 <= model.threshold <= 1 and 0 < model.extra_share <= 1
    # The phrase of the asked-for kind is the short answer.
    top = answerable[0]
    gold = int(np.flatnonzero(top.labels)[0])
    assert int(np.argmax(model.short.probabilities(top.phrase_rows[gold]))) == 1


def test_the_threshold_answers_the_target_share_and_abstains_on_the_most_it_can() -> None:
    confidence = np.array([0.9, 0.8, 0.7, 0.6, 0.35, 0.3, 0.2, 0.1])
    answerable = np.array([True] * 6 + [False] * 2)
    cut = _threshold(confidence, answerable)
    answered = confidence[answerable] >= cut
    assert answered.mean() >= ANSWERED_TARGET
    assert (confidence[~answerable] < cut).all()
    # Brute force: no cut keeping the target abstains on more unanswerable questions.
    for other in np.linspace(0, 1, 101):
        if (confidence[answerable] >= other).mean() >= ANSWERED_TARGET:
            assert (confidence[~answerable] < other).sum() <= (confidence[~answerable] < cut).sum()
