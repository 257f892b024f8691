"""What ``qa`` needs from an embedding model; ``embeddings.SentenceEncoder`` satisfies it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
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


def embed_key(text: str) -> str:
    """The key a text's vector is kept under (the index's embedding cache)."""
    return hashlib.sha1(text.encode()).hexdigest()


class KeptFirst:
    """An ``Encoder`` that takes the vectors ``kept`` already holds and encodes only the rest.

    ``kept`` maps texts to the (dimension,) float32 vectors it has of them (the index keeps
    every quotable sentence's, so an answer encodes none per question); whatever it lacks,
    an index built before that or without ``Settings.answer_vectors``, goes to ``encoder``.
    """

    def __init__(
        self, encoder: Encoder, kept: Callable[[Sequence[str]], Mapping[str, np.ndarray]]
    ) -> None:
        self._encoder = encoder
        self._kept = kept

    @property
    def dimension(self) -> int:
        return self._encoder.dimension

    @property
    def fingerprint(self) -> str:
        return self._encoder.fingerprint

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dimension)`` float32, as ``encoder.encode(texts)`` would give."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        known = dict(self._kept(texts))
        missing = [text for text in dict.fromkeys(texts) if text not in known]
        if missing:
            known.update(zip(missing, self._encoder.encode(missing), strict=True))
        return np.stack([known[text] for text in texts]).astype(np.float32, copy=False)
