"""The retrieval seam: what a ranking is, what a retriever does, what an index must offer.

Any backend that can answer ``search_dense`` and ``search_lexical`` (the index folder's FAISS
and BM25, or Milvus) sits behind the same retrievers; the engine sees only ``Retriever``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qa.types import Chunk


@dataclass(frozen=True)
class Ranking:
    """Chunk ids best first, with their scores (same length)."""

    ids: tuple[str, ...]
    scores: tuple[float, ...]


class VectorSearch(Protocol):
    """Nearest chunks to a query vector: FAISS in the index folder today, Milvus next."""

    def search_dense(
        self, query_vector: np.ndarray, depth: int, docs: Sequence[str] | None = None
    ) -> Ranking:
        """The ``depth`` chunks nearest ``query_vector`` ((dim,) float32, unit length) by
        inner product, best first; ``docs`` limits the search to those document ids."""
        ...


class TextSearch(Protocol):
    """Best BM25 matches of a query text."""

    def search_lexical(
        self, query_text: str, depth: int, docs: Sequence[str] | None = None
    ) -> Ranking:
        """The ``depth`` best BM25 matches of ``query_text``, best first."""
        ...


class ChunkSource(VectorSearch, TextSearch, Protocol):
    """An index the hybrid retriever reads: both searches, and the chunks behind the ids."""

    def chunk(self, chunk_id: str) -> Chunk:
        """The chunk with id ``chunk_id`` (``KeyError`` when there is none)."""
        ...


class Retriever(Protocol):
    """Ranks chunks for a query; ``allowed`` limits the ranking to those document ids."""

    def search(
        self,
        query: str,
        query_vector: np.ndarray,
        depth: int,
        allowed: Sequence[str] | None = None,
    ) -> Ranking: ...
