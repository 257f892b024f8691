"""Deterministic stand-ins for the embedding model, for fast unit tests."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from qa import Engine

_TOKEN = re.compile(r"[a-z0-9]+")


def _token_vector(token: str, dimension: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha1(token.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(dimension).astype(np.float32)


class FakeEncoder:
    """Bag of hash-seeded token vectors: texts sharing words get similar unit vectors."""

    def __init__(self, dimension: int = 64) -> None:
        self._dimension = dimension
        self.calls = 0
        self.encoded = 0

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def fingerprint(self) -> str:
        return f"fake-bow-{self._dimension}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.encoded += len(texts)
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for token in _TOKEN.findall(text.lower()):
                out[i] += _token_vector(token, self._dimension)
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm > 0 else _token_vector("\x00empty", self._dimension)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / norms).astype(np.float32)


@contextmanager
def fake_engine(folder: Path, source: Path) -> Iterator[Engine]:
    """An index at ``folder`` of the files at ``source``, embedded by ``FakeEncoder``."""
    engine = Engine.open(folder, encoder=FakeEncoder())
    engine.add(source)
    yield engine
    engine.close()
