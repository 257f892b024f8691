"""The two base retrievers: dense (vector similarity) and lexical (BM25)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.retrieval.base import Ranking, TextSearch, VectorSearch


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
