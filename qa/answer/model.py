"""The answer model: small logistic models fitted on question sets, read from a JSON file.

- ``prefilter`` scores candidates on their cheap features, to choose which to embed;
- ``ranker`` scores them with their similarity to the question as well: the answer quotes the
  best;
- ``confidence`` maps the question's features to the probability that the answer holds the
  fact asked for (calibrated out of fold, see ``qa.answer.fit``); below ``threshold`` the
  answer is "not found";
- ``short`` scores the phrases of the chosen sentence that could be the short answer.

The weights ship as ``answer_model.json`` beside this module; ``python -m qa.answer.fit``
refits them. Scoring is a dot product: no learning library is needed at run time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.answer.features import CHEAP, QUESTION, RANKER
from qa.answer.phrase_features import SPAN_FEATURES

DEFAULT_PATH = Path(__file__).with_name("answer_model.json")
FORMAT = 1


@dataclass(frozen=True)
class Linear:
    """A standardised linear model: ``((x - mean) / scale) @ coef + intercept``."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logits(self, rows: np.ndarray) -> np.ndarray:
        """(n, len(names)) float -> (n,) float64 log-odds."""
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(self.names))
        return ((rows - self.mean) / self.scale) @ self.coef + self.intercept

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(rows)))

    def to_dict(self) -> dict[str, object]:
        return {
            "names": list(self.names),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object], expected: tuple[str, ...]) -> Linear:
        names = tuple(data["names"])  # type: ignore[arg-type]
        if names != expected:
            raise ValueError(f"answer model features {names} do not match this code's {expected}")
        arrays = [np.asarray(data[key], dtype=np.float64) for key in ("mean", "scale", "coef")]
        if any(a.shape != (len(names),) for a in arrays) or not np.all(arrays[1] > 0):
            raise ValueError("answer model weights have the wrong shape or a zero scale")
        return cls(names, *arrays, float(data["intercept"]))  # type: ignore[arg-type]


@dataclass(frozen=True)
class AnswerModel:
    """The fitted answer model (see the module docstring). ``extra_share``: a further sentence
    joins the answer when its ranker probability is at least this share of the best one's.
    ``short_threshold``: a short answer is given when its phrase's probability reaches it."""

    prefilter: Linear
    ranker: Linear
    confidence: Linear
    short: Linear
    threshold: float
    extra_share: float
    short_threshold: float
    fitted_on: tuple[str, ...] = ()

    def save(self, path: str | Path) -> None:
        data = {
            "format": FORMAT,
            "fitted_on": list(self.fitted_on),
            "threshold": self.threshold,
            "extra_share": self.extra_share,
            "short_threshold": self.short_threshold,
            "prefilter": self.prefilter.to_dict(),
            "ranker": self.ranker.to_dict(),
            "confidence": self.confidence.to_dict(),
            "short": self.short.to_dict(),
        }
        Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> AnswerModel:
        """Read a model file; ValueError names what is wrong with it."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read answer model {str(path)!r}: {exc}") from exc
        if data.get("format") != FORMAT:
            raise ValueError(f"answer model {str(path)!r} has format {data.get('format')!r}")
        for name in ("threshold", "extra_share", "short_threshold"):
            value = data.get(name)
            if not isinstance(value, int | float) or not 0 <= value <= 1 or math.isnan(value):
                raise ValueError(f"answer model {name} must be in [0, 1], got {value!r}")
        return cls(
            prefilter=Linear.from_dict(data["prefilter"], CHEAP),
            ranker=Linear.from_dict(data["ranker"], RANKER),
            confidence=Linear.from_dict(data["confidence"], QUESTION),
            short=Linear.from_dict(data["short"], SPAN_FEATURES),
            threshold=float(data["threshold"]),
            extra_share=float(data["extra_share"]),
            short_threshold=float(data["short_threshold"]),
            fitted_on=tuple(data.get("fitted_on", ())),
        )


@lru_cache(maxsize=8)
def load_model(path: str | None = None) -> AnswerModel:
    """The model at ``path``, or the shipped one; read once per path."""
    return AnswerModel.load(path or DEFAULT_PATH)
