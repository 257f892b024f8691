"""Dense and BM25 searches of a Milvus index's chunks.

Every search keeps only the rows of the version their document is at (see
``update``), so a search running beside an update sees each document whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pymilvus import MilvusClient

from qa.index.milvus.read import current_versions
from qa.index.milvus.rows import (
    CHUNK_OUTPUT,
    bm25_score,
    chunk_from_row,
    doc_filter,
    lexical_terms,
)
from qa.index.milvus.schema import Collections, DenseIndex
from qa.types import Chunk


@dataclass(frozen=True)
class ScoredChunk:
    """A chunk found by a search and its score (higher is better; the scale is the search's)."""

    chunk: Chunk
    score: float


class ChunkSearch:
    """The searches over one index's chunk collection."""

    def __init__(
        self, client: MilvusClient, names: Collections, dense: DenseIndex, dimension: int
    ) -> None:
        self.client = client
        self.names = names
        self.dense = dense
        self.dimension = dimension

    def _visible(self, hits: Sequence[Any], score: Callable[[Any], float]) -> list[ScoredChunk]:
        """Hits of the versions their documents are at, best first, scored by ``score``."""
        rows = [hit["entity"] for hit in hits]
        versions = current_versions(self.client, self.names, (row["doc_id"] for row in rows))
        return [
            ScoredChunk(chunk_from_row(row), float(score(hit)))
            for hit, row in zip(hits, rows, strict=True)
            if versions.get(row["doc_id"]) == row["version"]
        ]

    def _query_vector(self, vector: np.ndarray) -> list[float]:
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape != (self.dimension,) or not np.isfinite(query).all():
            raise ValueError(
                f"expected a query vector of {self.dimension} finite numbers, got {query.shape}"
            )
        return query.tolist()

    def _dense_params(self, limit: int) -> dict[str, Any]:
        return {"metric_type": "IP", "params": self.dense.search_params(limit)}

    def dense_search(
        self, query_vector: np.ndarray, depth: int, docs: Sequence[str] | None
    ) -> list[ScoredChunk]:
        if depth < 1 or (docs is not None and not docs):
            return []
        hits = self.client.search(
            self.names.chunks,
            data=[self._query_vector(query_vector)],
            anns_field="vector",
            filter=doc_filter(docs) if docs else "",
            limit=depth,
            search_params=self._dense_params(depth),
            output_fields=list(CHUNK_OUTPUT),
        )[0]
        return self._visible(hits, lambda hit: hit["distance"])

    def lexical_search(
        self, query_text: str, depth: int, docs: Sequence[str] | None
    ) -> list[ScoredChunk]:
        terms = lexical_terms(query_text)
        if depth < 1 or not terms or (docs is not None and not docs):
            return []
        hits = self.client.search(
            self.names.chunks,
            data=[terms],
            anns_field="sparse",
            filter=doc_filter(docs) if docs else "",
            limit=depth,
            search_params={"metric_type": "BM25"},
            output_fields=list(CHUNK_OUTPUT),
        )[0]
        return self._visible(hits, lambda hit: bm25_score(hit["distance"]))
