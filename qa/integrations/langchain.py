"""The index as a LangChain retriever: ``CiteqaRetriever(engine=engine).invoke(question)``.

Each passage found is a LangChain ``Document`` whose metadata says where it is (document id
and title, pages, the citation label), so a chain that quotes it can cite the page. Needs
``langchain-core`` only (the ``[langchain]`` extra).
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import Field

# Imported for real, not for type checking only: pydantic validates the field against it.
from qa.engine import Engine
from qa.types import Hit


def passage_document(hit: Hit) -> Document:
    """A retrieved passage as LangChain's ``Document``: its text, and where it is."""
    chunk = hit.chunk
    return Document(
        id=chunk.id,
        page_content=chunk.text,
        metadata={
            "doc_id": chunk.doc_id,
            "title": chunk.title,
            "pages": list(chunk.pages),
            "label": chunk.label,
            "section": chunk.section,
            "kind": chunk.kind,
            "source": chunk.source,
            "passage_id": chunk.id,
            "rank": hit.rank,
            "score": hit.score,
        },
    )


class CiteqaRetriever(BaseRetriever):
    """The ``k`` best passages of the index for a query (hybrid dense + BM25 search), only
    from ``docs`` when given."""

    engine: Engine = Field(description="An open citeqa Engine.")
    k: int = Field(default=5, ge=1, le=100)
    docs: list[str] | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        hits = self.engine.search(query, k=self.k, docs=self.docs)
        return [passage_document(hit) for hit in hits]
