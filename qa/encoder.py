"""What ``qa`` needs from an embedding model; ``embeddings.Encoder`` satisfies it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Encoder(Protocol):
    @property
    def dimension(self) -> int: ...

    @property
    def fingerprint(self) -> str:
        """Identifies the model's weights and settings; changes when embeddings would."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return L2-normalised float32 embeddings of shape ``(len(texts), dimension)``."""
        ...
