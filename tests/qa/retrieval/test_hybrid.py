from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qa.index.base import Ranking
from qa.retrieval.hybrid import HybridRetriever
from qa.settings import Settings
from qa.types import Chunk


def _chunk(doc: str, title: str, text: str) -> Chunk:
    return Chunk.make(doc_id=doc, title=title, pages=(1,), section=None, text=text, source=None)


class _Index:
    """Both searches rank the chunks in the order given."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = {c.id: c for c in chunks}
        self.order = tuple(c.id for c in chunks)

    def search_dense(self, query_vector: np.ndarray, depth: int, docs: object = None) -> Ranking:
        return Ranking(self.order[:depth], tuple(1.0 for _ in self.order[:depth]))

    def search_lexical(self, query_text: str, depth: int, docs: object = None) -> Ranking:
        return self.search_dense(np.zeros(1), depth)

    def chunk(self, chunk_id: str) -> Chunk:
        return self.chunks[chunk_id]


OLD = _chunk("review-2028", "Northland Defence Review 2028", "The navy plans four patrol vessels.")
NEW = _chunk("review-2031", "Northland Defence Review 2031", "The navy now plans six patrol ships.")


def test_the_edition_a_question_names_by_year_leads() -> None:
    retriever = HybridRetriever(_Index([OLD, NEW]), Settings())
    question = "How many patrol vessels does the 2031 Defence Review plan?"
    hits = retriever.hits(question, np.zeros(1), 2)
    assert [h.chunk.doc_id for h in hits] == ["review-2031", "review-2028"]


def test_a_year_that_dates_a_fact_or_names_every_document_changes_nothing() -> None:
    retriever = HybridRetriever(_Index([OLD, NEW]), Settings())
    for question in ("How many patrol vessels were planned in 2031?", "What does it say?"):
        assert [h.chunk.doc_id for h in retriever.hits(question, np.zeros(1), 2)] == [
            "review-2028",
            "review-2031",
        ]
    same_year = HybridRetriever(_Index([OLD]), Settings())
    assert len(same_year.hits("What does the 2028 Defence Review plan?", np.zeros(1), 1)) == 1
