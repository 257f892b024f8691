"""What a retriever does, and the two base ones: dense (vector similarity) and lexical (BM25).

Any index offering the ``qa.index.base`` searches (the index folder's FAISS and BM25, or Milvus)
sits behind the same retrievers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qa.index.base import Ranking, TextSearch, VectorSearch


class Retriever(Protocol):
    """Ranks chunks for a query; ``allowed`` limits the ranking to those document ids."""

    def search(
        self,
        query: str,
        query_vector: np.ndarray,
        depth: int,
        allowed: Sequence[str] | None = None,
    ) -> Ranking: ...


@dataclass(frozen=True)
class DenseRetriever:
    """Chunks nearest the query's embedding."""

    index: VectorSearch

    def search(
        self,
        query: str,
        query_vector: np.ndarray,
        depth: int,
        allowed: Sequence[str] | None = None,
    ) -> Ranking:
        return self.index.search_dense(query_vector, depth, allowed)


@dataclass(frozen=True)
class LexicalRetriever:
    """Chunks that best match the query's words (BM25)."""

    index: TextSearch

    def search(
        self,
        query: str,
        query_vector: np.ndarray,
        depth: int,
        allowed: Sequence[str] | None = None,
    ) -> Ranking:
        return self.index.search_lexical(query, depth, allowed)
