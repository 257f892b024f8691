"""The ``Index`` protocol over a Milvus collection (``MilvusIndex``).

What is shared lives in Milvus: chunks with their text, metadata and vectors, pages, documents.
What stays on this machine lives in the local folder: the converted model, the embedding
cache (so an interrupted build embeds nothing twice, whatever it had written to Milvus) and
the analysts' feedback.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import numpy as np

from embeddings.cache import EmbeddingCache
from qa.errors import IndexCorrupt
from qa.index.base import Ranking
from qa.index.folder.layout import CACHE
from qa.index.milvus.index import MilvusIndex, ScoredChunk
from qa.index.records import DocumentInfo, DocumentRecord
from qa.types import Chunk, Page

# Chunks returned by recent searches, so ranking and answering do not fetch them again.
_REMEMBERED_CHUNKS = 4096


class MilvusStore:
    """An index in Milvus at ``uri`` with local state in ``folder``. Cheap constructor;
    ``open`` connects (and creates the collections unless ``create`` is off)."""

    def __init__(self, folder: str | Path, uri: str, *, token: str | None = None) -> None:
        self.folder = Path(folder)
        self.milvus = MilvusIndex(uri, token=token)
        self._cache: EmbeddingCache | None = None
        self._fingerprint = ""
        self._seen: OrderedDict[str, Chunk] = OrderedDict()
        self._seen_lock = threading.Lock()

    def open(self, model_fingerprint: str, dimension: int, *, create: bool = True) -> MilvusStore:
        self.milvus.open(model_fingerprint, dimension, create=create)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._cache = EmbeddingCache(self.folder / CACHE)
        self._fingerprint = model_fingerprint
        return self

    def close(self) -> None:
        self.milvus.close()
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    def __len__(self) -> int:
        return len(self.milvus)

    # ----------------------------------------------------------------- reading
    def documents(self) -> list[DocumentInfo]:
        return self.milvus.documents()

    def document_hashes(self) -> dict[str, str]:
        return self.milvus.document_hashes()

    def document_origins(self) -> dict[str, str | None]:
        return self.milvus.document_origins()

    def document_titles(self) -> dict[str, str]:
        return self.milvus.document_titles()

    def page_origins(self) -> dict[str, tuple[str, int]]:
        return self.milvus.page_origins()

    def book_pages(self, doc_id: str) -> tuple[Page, ...]:
        return self.milvus.book_pages(doc_id)

    def page_text(self, doc_id: str, numbers: Sequence[int]) -> str | None:
        return self.milvus.page_text(doc_id, numbers)

    def page_numbers(self, doc_id: str) -> list[int]:
        return self.milvus.page_numbers(doc_id)

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        return self.milvus.document_chunks(doc_id)

    @property
    def recipe(self) -> dict[str, int]:
        # Not recorded in Milvus: a change of chunk sizes still re-chunks (it is part of each
        # document's content hash) but is not announced.
        return {}

    def changed_on_disk(self) -> bool:
        return False  # every read goes to Milvus: there is no local view to refresh

    def reload(self) -> bool:
        return False

    @contextmanager
    def writing(self, *, wait: bool = True) -> Iterator[None]:
        with self.milvus.writing(wait=wait):
            yield

    # --------------------------------------------------------------- searching
    def _ranking(self, found: list[ScoredChunk]) -> Ranking:
        with self._seen_lock:
            for item in found:
                self._seen[item.chunk.id] = item.chunk
                self._seen.move_to_end(item.chunk.id)
            while len(self._seen) > _REMEMBERED_CHUNKS:
                self._seen.popitem(last=False)
        return Ranking(tuple(i.chunk.id for i in found), tuple(i.score for i in found))

    def search_dense(
        self, query_vector: np.ndarray, depth: int, docs: Sequence[str] | None = None
    ) -> Ranking:
        return self._ranking(self.milvus.search_dense(query_vector, depth, docs))

    def search_lexical(
        self, query_text: str, depth: int, docs: Sequence[str] | None = None
    ) -> Ranking:
        return self._ranking(self.milvus.search_lexical(query_text, depth, docs))

    def chunk(self, chunk_id: str) -> Chunk:
        with self._seen_lock:
            chunk = self._seen.get(chunk_id)
        if chunk is None:
            chunk = self.milvus.chunks([chunk_id])[chunk_id]
        return chunk

    # ----------------------------------------------------------------- writing
    def stored_vectors(self, embed_keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors from the local embedding cache, else from the chunks in Milvus."""
        assert self._cache is not None
        keys = list(dict.fromkeys(embed_keys))
        found = self._cache.get_many(self._fingerprint, keys)
        missing = [k for k in keys if k not in found]
        if missing:
            found.update(self.milvus.stored_vectors(missing))
        return found

    def store_vectors(self, embed_keys: Sequence[str], vectors: np.ndarray) -> None:
        assert self._cache is not None
        self._cache.put_many(self._fingerprint, embed_keys, vectors)

    def commit(
        self,
        records: Sequence[DocumentRecord],
        removed: Sequence[str],
        recipe: Mapping[str, int],
        exclusive: AbstractContextManager[object],
        *,
        publish: bool = True,
    ) -> None:
        """Write the update to Milvus. Searches need no pause (``exclusive`` is not taken):
        each document switches to its new version in one write. Milvus keeps no derived
        files, so every commit is published (``publish`` changes nothing)."""
        if not (records or removed):
            return
        keys = [s.embed_key for record in records for s in record.chunks]
        vectors = self.stored_vectors(keys)
        if len(vectors) < len(set(keys)):
            raise IndexCorrupt(
                f"{len(set(keys)) - len(vectors)} embeddings are missing for the update; "
                "run the update again"
            )
        self.milvus.apply(records, removed, vectors)
