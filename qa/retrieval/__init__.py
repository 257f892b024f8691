"""Retrieval math: what each retriever reads, BM25, rank fusion and near-duplicate removal."""

from __future__ import annotations

from qa.retrieval.dedup import collapse_near_duplicates
from qa.retrieval.fusion import Fused, reciprocal_rank_fusion
from qa.retrieval.lexical import LexicalIndex, Ranking
from qa.text.fields import dense_text, lexical_text
from qa.text.words import tokenize_for_bm25

__all__ = [
    "Fused",
    "LexicalIndex",
    "Ranking",
    "collapse_near_duplicates",
    "dense_text",
    "lexical_text",
    "reciprocal_rank_fusion",
    "tokenize_for_bm25",
]
