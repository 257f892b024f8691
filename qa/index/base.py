"""What the engine, the indexer and the retrievers need of an index, whatever keeps it.

``IndexStore`` (an index folder: SQLite, FAISS, BM25) and ``MilvusIndex`` (a Milvus
collection) both satisfy ``Index``; nothing above ``qa/index`` names either (``factory``
picks one). The retrievers read an index through ``ChunkSource`` and get ``Ranking``s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.index.records import DocumentInfo, DocumentRecord
from qa.types import Chunk, Page


@dataclass(frozen=True)
class Ranking:
    """Chunk ids best first, with their scores (same length)."""

    ids: tuple[str, ...]
    scores: tuple[float, ...]


class VectorSearch(Protocol):
    """Nearest chunks to a query vector: FAISS in the index folder, or Milvus."""

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


class Index(ChunkSource, Protocol):
    """An open index: documents, pages, chunks, their searches and their updates.

    ``folder`` is where this machine keeps its part (caches, feedback), or the whole index.
    """

    folder: Path

    def close(self) -> None: ...

    def __len__(self) -> int:
        """How many chunks it holds."""
        ...

    # reading
    def documents(self) -> list[DocumentInfo]: ...

    def document_hashes(self) -> dict[str, str]: ...

    def document_origins(self) -> dict[str, str | None]: ...

    def document_titles(self) -> dict[str, str]: ...

    def page_origins(self) -> dict[str, tuple[str, int]]:
        """Page file path -> (doc id, page number), for the pages of books."""
        ...

    def book_pages(self, doc_id: str) -> tuple[Page, ...]:
        """A book's pages as they were loaded, each with the file it came from, in order."""
        ...

    def page_text(self, doc_id: str, numbers: Sequence[int]) -> str | None:
        """The cleaned text of the given pages joined in order, or None if any is missing."""
        ...

    def page_numbers(self, doc_id: str) -> list[int]:
        """The numbers of the stored pages of ``doc_id``, in order (empty without pages)."""
        ...

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        """The chunks of ``doc_id`` in document order (empty for an unknown id)."""
        ...

    @property
    def recipe(self) -> dict[str, int]:
        """The chunking recipe of the last update (empty when not recorded)."""
        ...

    # other processes
    def changed_on_disk(self) -> bool:
        """Whether another process published a change this view has not caught up with."""
        ...

    def reload(self) -> bool:
        """Catch up with what another process published; False when there was nothing."""
        ...

    def writing(self, *, wait: bool = True) -> AbstractContextManager[None]:
        """Hold the index's writer lock for an update (``IndexBusy`` without ``wait``)."""
        ...

    def cached_vectors(self, embed_keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Embed key -> (dim,) float32 vector, for the keys this machine's embedding cache
        holds: no round trip to a server (answers read their sentences' vectors here)."""
        ...

    # writing
    def stored_vectors(self, embed_keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Embed key -> (dim,) float32 vector, for the keys already embedded."""
        ...

    def store_vectors(self, embed_keys: Sequence[str], vectors: np.ndarray) -> None:
        """Keep freshly embedded ``vectors`` ((len(embed_keys), dim) float32) so that an
        interrupted update does not embed them again."""
        ...

    def commit(
        self,
        records: Sequence[DocumentRecord],
        removed: Sequence[str],
        recipe: Mapping[str, int],
        exclusive: AbstractContextManager[object],
        *,
        publish: bool = True,
    ) -> None:
        """Write ``records`` (replacing documents with the same ids) and drop ``removed``;
        only the switch searches must not see half-done runs inside ``exclusive``.

        A batched update passes ``publish=False`` for all but its last commit: the commit is
        durable and dense search sees it, but an index with derived files (snapshots, BM25)
        may leave them to the next commit that publishes. An index without such files
        ignores ``publish``.
        """
        ...
