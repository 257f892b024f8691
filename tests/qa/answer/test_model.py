from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa.answer.features import CHEAP, QUESTION, RANKER
from qa.answer.model import AnswerModel, Linear, load_model
from qa.answer.phrase_features import SPAN_FEATURES


def _linear(names: tuple[str, ...], seed: int) -> Linear:
    rng = np.random.default_rng(seed)
    n = len(names)
    return Linear(names, rng.normal(size=n), rng.uniform(0.5, 2, n), rng.normal(size=n), 0.3)


def _model() -> AnswerModel:
    return AnswerModel(
        prefilter=_linear(CHEAP, 1),
        ranker=_linear(RANKER, 2),
        confidence=_linear(QUESTION, 3),
        short=_linear(SPAN_FEATURES, 4),
        threshold=0.4,
        extra_share=0.7,
        short_threshold=0.5,
        fitted_on=("a.jsonl",),
    )


def test_linear_scores_match_the_formula_row_by_row() -> None:
    linear = _linear(CHEAP, 5)
    rows = np.random.default_rng(6).normal(size=(7, len(CHEAP)))
    expected = [
        sum((row[j] - linear.mean[j]) / linear.scale[j] * linear.coef[j] for j in range(len(CHEAP)))
        + linear.intercept
        for row in rows
    ]
    assert np.allclose(linear.logits(rows), expected)
    assert np.allclose(linear.probabilities(rows), 1 / (1 + np.exp(-np.array(expected))))


def test_a_saved_model_loads_back_equal(tmp_path: Path) -> None:
    model = _model()
    model.save(tmp_path / "m.json")
    loaded = AnswerModel.load(tmp_path / "m.json")
    rows = np.random.default_rng(7).normal(size=(3, len(RANKER)))
    assert np.allclose(loaded.ranker.logits(rows), model.ranker.logits(rows))
    assert (loaded.threshold, loaded.extra_share, loaded.fitted_on) == (0.4, 0.7, ("a.jsonl",))


def test_bad_model_files_are_refused_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    with pytest.raises(ValueError, match="cannot read"):
        AnswerModel.load(path)
    replace(_model(), threshold=1.5).save(path)
    with pytest.raises(ValueError, match="threshold must be in"):
        AnswerModel.load(path)
    data = json.loads(path.read_text())
    data["threshold"] = 0.5
    data["ranker"]["names"] = data["ranker"]["names"][::-1]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="do not match"):
        AnswerModel.load(path)


def test_the_shipped_model_loads_and_was_fitted_on_question_sets() -> None:
    model = load_model()
    assert model.fitted_on
    assert 0 < model.threshold < 1
    # What any sensible fit learns: a sentence closer to the question ranks higher.
    assert model.ranker.coef[RANKER.index("dense")] > 0
