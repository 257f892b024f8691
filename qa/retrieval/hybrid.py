"""Hybrid retrieval: dense and BM25 rankings fused by weighted reciprocal rank, deduplicated."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from qa.index.base import ChunkSource
from qa.retrieval.base import DenseRetriever, LexicalRetriever, Retriever
from qa.retrieval.dedup import collapse_near_duplicates
from qa.retrieval.fusion import Fused, reciprocal_rank_fusion
from qa.settings import Settings
from qa.text import document_years
from qa.types import Hit

SEARCH_MODES = ("hybrid", "dense", "lexical")
# Weight of "near the pages the previous answer cited" beside dense (1) and BM25 (2.5).
CONTEXT_WEIGHT = 0.5
# Weight of "from the edition the question names by year" ("the 2023 review").
EDITION_WEIGHT = 0.5
# Fused candidates looked at per hit wanted: near-duplicates among them are dropped.
CANDIDATES_PER_HIT = 3


@dataclass(frozen=True)
class HybridRetriever:
    """Fuses the dense and lexical rankings of ``index`` as ``settings`` weigh them."""

    index: ChunkSource
    settings: Settings

    def _members(self, mode: str) -> list[tuple[str, Retriever, float]]:
        settings = self.settings
        members: list[tuple[str, Retriever, float]] = []
        if mode in ("hybrid", "dense") and settings.dense_weight > 0:
            members.append(("dense", DenseRetriever(self.index), settings.dense_weight))
        if mode in ("hybrid", "lexical") and settings.lexical_weight > 0:
            members.append(("lexical", LexicalRetriever(self.index), settings.lexical_weight))
        return members

    def hits(
        self,
        query: str,
        query_vector: np.ndarray,
        k: int,
        allowed: Sequence[str] | None = None,
        *,
        mode: str = "hybrid",
        prefer: Mapping[str, tuple[int, ...]] | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages, near-duplicates collapsed, each with its rank per retriever.

        ``prefer`` (doc id -> pages) favours passages on or next to those pages: a follow-up
        question about what the previous answer cited.
        """
        depth = max(self.settings.fusion_depth, k)
        fused, names = self._fuse(query, query_vector, depth, allowed, mode, prefer)
        candidates = fused[: CANDIDATES_PER_HIT * k]
        chunks = [self.index.chunk(item.id) for item in candidates]
        keep = collapse_near_duplicates(
            [c.text for c in chunks], self.settings.dedup_overlap, limit=k
        )
        hits = []
        for rank, index in enumerate(keep, start=1):
            ranks = dict(zip(names, candidates[index].ranks, strict=True))
            hits.append(
                Hit(
                    chunks[index],
                    float(candidates[index].score),
                    rank,
                    dense_rank=ranks.get("dense"),
                    lexical_rank=ranks.get("lexical"),
                )
            )
        return hits

    def _fuse(
        self,
        query: str,
        query_vector: np.ndarray,
        depth: int,
        allowed: Sequence[str] | None,
        mode: str,
        prefer: Mapping[str, tuple[int, ...]] | None,
    ) -> tuple[list[Fused], list[str]]:
        names: list[str] = []
        rankings: list[list[str]] = []
        weights: list[float] = []
        for name, retriever, weight in self._members(mode):
            rankings.append(list(retriever.search(query, query_vector, depth, allowed).ids))
            weights.append(weight)
            names.append(name)
        edition = self._named_edition(query, rankings)
        if edition:
            # Several editions answer alike; the one the question names by year should lead.
            rankings.append(edition)
            weights.append(EDITION_WEIGHT)
            names.append("edition")
        if prefer and rankings:
            # A follow-up about the same thing: passages near what the last answer cited
            # count as one more (weaker) retriever's opinion.
            rankings.append(self._near(rankings, prefer))
            weights.append(CONTEXT_WEIGHT)
            names.append("context")
        if not rankings:
            return [], names
        return reciprocal_rank_fusion(rankings, weights, k=self.settings.rrf_k), names

    def _named_edition(self, query: str, rankings: Sequence[Sequence[str]]) -> list[str]:
        """Chunk ids of ``rankings`` (best first) from documents whose title or file name has
        a year the question names a document by; empty unless that sets some apart."""
        years = document_years(query)
        if not years or not rankings:
            return []
        candidates = list(dict.fromkeys(cid for ranking in rankings for cid in ranking))
        named = []
        for chunk_id in candidates:
            chunk = self.index.chunk(chunk_id)
            if any(year in f"{chunk.title} {chunk.source or ''}" for year in years):
                named.append(chunk_id)
        return named if 0 < len(named) < len(candidates) else []

    def _near(
        self, rankings: Sequence[Sequence[str]], prefer: Mapping[str, tuple[int, ...]]
    ) -> list[str]:
        """Chunk ids of ``rankings`` (best first) on or next to the preferred pages."""
        near = {doc: {p + d for p in pages for d in (-1, 0, 1)} for doc, pages in prefer.items()}
        ranked: list[str] = []
        for chunk_id in dict.fromkeys(cid for ranking in rankings for cid in ranking):
            chunk = self.index.chunk(chunk_id)
            pages = near.get(chunk.doc_id)
            if pages is not None and (not chunk.pages or pages.intersection(chunk.pages)):
                ranked.append(chunk_id)
        return ranked
