"""What ``qa`` needs from an embedding model; ``embeddings.SentenceEncoder`` satisfies it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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


@runtime_checkable
class StreamingEncoder(Encoder, Protocol):
    """An encoder that takes a whole job at once and hands vectors back as they are done
    (e.g. ``embeddings.ray_encoder.RayEncoder``, whose every job starts a pool of workers)."""

    def encode_stream(self, texts: Sequence[str]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(rows, vectors)`` pairs that cover every text once, in any order: ``rows`` (b,)
        int64 positions in ``texts``, ``vectors`` (b, dimension) L2-normalised float32."""
        ...


def encode_batches(
    encoder: Encoder, texts: Sequence[str], batch_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(rows, vectors)`` pairs covering ``texts`` (see ``StreamingEncoder.encode_stream``):
    the streaming encoder's own, else ``encode`` calls of ``batch_size`` texts in order."""
    if isinstance(encoder, StreamingEncoder):
        yield from encoder.encode_stream(texts)
        return
    for start in range(0, len(texts), batch_size):
        batch = texts[start : start + batch_size]
        yield np.arange(start, start + len(batch), dtype=np.int64), encoder.encode(batch)
