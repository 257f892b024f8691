"""A citeqa index kept in Milvus, so that several citeqa processes serve one collection.

Four collections (see ``schema``): ``PREFIX_chunks`` (text, metadata, the dense vector and the
BM25 terms Milvus turns into a sparse vector), ``PREFIX_pages``, ``PREFIX_documents`` and
``PREFIX_meta`` (model, writer lease, unfinished updates). Milvus is the only truth for what is
indexed: a write by one process is what the next search of every other process sees (the
collections use Strong consistency). Only the chunks recent searches returned are remembered,
so that ranking and answering do not fetch them again.

What stays on this machine lives in the local folder: the embedding cache (so an interrupted
build embeds nothing twice, whatever it had written to Milvus) and the analysts' feedback.

Where: a path ending in ``.db`` is embedded Milvus Lite, which one process at a time may open
(for several, run ``milvus-lite server --data-dir FILE.db`` and give them its address);
``http://host:19530`` is a Milvus server or cluster, with the token from
``CITEQA_MILVUS_TOKEN``.

Updates write each document under a new version and switch to it in one write, so readers see
every document whole and a crash leaves nothing a reader sees (``update``); writers in any
process queue on a lease (``lease``).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import numpy as np
from pymilvus import MilvusClient
from pymilvus.exceptions import MilvusException

from embeddings.cache import EmbeddingCache
from qa.errors import IndexBusy, IndexCorrupt, IndexNotFound
from qa.index.base import Ranking
from qa.index.folder.layout import CACHE
from qa.index.milvus import read
from qa.index.milvus.lease import Lease
from qa.index.milvus.rows import check_records, document_info
from qa.index.milvus.schema import (
    Collections,
    DenseIndex,
    check_model,
    create_missing,
    record_model,
    stored_model,
)
from qa.index.milvus.search import ChunkSearch, ScoredChunk
from qa.index.milvus.update import CollectionWriter, new_version
from qa.index.records import DocumentInfo, DocumentRecord
from qa.types import Chunk, Page

TOKEN_ENV = "CITEQA_MILVUS_TOKEN"
_SERVER_SCHEMES = ("http://", "https://", "tcp://")
# Chunks returned by recent searches, so ranking and answering do not fetch them again.
_REMEMBERED_CHUNKS = 4096


def is_lite(uri: str) -> bool:
    return not uri.startswith(_SERVER_SCHEMES)


class MilvusIndex:
    """An index in Milvus at ``uri`` with this machine's part in ``folder``. Cheap constructor;
    ``open`` connects (and creates the collections unless ``create`` is off)."""

    def __init__(
        self,
        folder: str | Path,
        uri: str,
        *,
        token: str | None = None,
        prefix: str = "citeqa",
        dense: DenseIndex | None = None,
        lease_seconds: float = 60.0,
        lease_settle: float = 0.5,
    ) -> None:
        if not isinstance(uri, str) or not (uri.startswith(_SERVER_SCHEMES) or uri.endswith(".db")):
            raise ValueError(
                f"Milvus URI must be a file ending in .db (Milvus Lite) or http(s)://host:port, "
                f"got {uri!r}"
            )
        self.folder = Path(folder)
        self.uri = uri
        self.names = Collections.named(prefix)
        self.dense = dense or DenseIndex()
        self._token = os.environ.get(TOKEN_ENV, "") if token is None else token
        self._lease_seconds, self._lease_settle = lease_seconds, lease_settle
        self._client: MilvusClient | None = None
        self._lease: Lease | None = None
        self._dimension = 0
        self._cache: EmbeddingCache | None = None
        self._fingerprint = ""
        self._seen: OrderedDict[str, Chunk] = OrderedDict()
        self._seen_lock = threading.Lock()
        # Threads of this process queue here; the lease queues other processes.
        self._writer = threading.RLock()
        self._holding = False

    # ----------------------------------------------------------------- opening
    def open(self, model_fingerprint: str, dimension: int, *, create: bool = True) -> MilvusIndex:
        """Connect; with ``create``, make the collections that are missing.

        Raises ``IndexNotFound`` when there is no index (and ``create`` is off),
        ``ModelMismatch`` when it holds another model's vectors, ``IndexBusy`` when another
        process has the Milvus Lite file open.
        """
        if is_lite(self.uri) and not create and not Path(self.uri).exists():
            raise IndexNotFound(self._not_found())
        client = self._connect()
        names = self.names
        if create:
            create_missing(client, names, dimension, self.dense)
        if not all(client.has_collection(name) for name in names.all()):
            raise IndexNotFound(self._not_found())
        for name in names.all():
            # A collection reopened by a restarted server starts released.
            client.load_collection(name)
        model = stored_model(client, names)
        if model is None:
            if not create:
                raise IndexNotFound(self._not_found())
            model = record_model(client, names, model_fingerprint, dimension)
        check_model(model, model_fingerprint, dimension, self._where())
        self._dimension = dimension
        self._lease = Lease(
            client,
            names.meta,
            where=self._where(),
            seconds=self._lease_seconds,
            settle=self._lease_settle,
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        self._cache = EmbeddingCache(self.folder / CACHE)
        self._fingerprint = model_fingerprint
        return self

    def _connect(self) -> MilvusClient:
        if self._client is None:
            try:
                self._client = MilvusClient(uri=self.uri, token=self._token)
            except MilvusException as error:
                if is_lite(self.uri):
                    raise IndexBusy(
                        f"cannot open {self.uri} ({error.message}); Milvus Lite lets one process "
                        f"at a time open a file: to share it, run `milvus-lite server --data-dir "
                        f"{self.uri}` and point every process at http://127.0.0.1:19530"
                    ) from error
                raise
        return self._client

    def _where(self) -> str:
        return f"{self.uri} (collections {self.names.meta.removesuffix('_meta')}_*)"

    def _not_found(self) -> str:
        return (
            f"no citeqa index at {self._where()}; build one with "
            f"`citeqa index PATH --backend milvus --milvus-uri {self.uri}`"
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    @property
    def client(self) -> MilvusClient:
        if self._client is None or self._lease is None:
            raise IndexCorrupt("the Milvus index is not open")
        return self._client

    # ----------------------------------------------------------------- reading
    def __len__(self) -> int:
        return sum(int(row["chunks"]) for row in read.document_rows(self.client, self.names))

    def documents(self) -> list[DocumentInfo]:
        infos = [document_info(row) for row in read.document_rows(self.client, self.names)]
        return sorted(infos, key=lambda info: (info.title, info.doc_id))

    def document_hashes(self) -> dict[str, str]:
        rows = read.document_rows(self.client, self.names)
        return {row["doc_id"]: row["content_hash"] for row in rows}

    def document_origins(self) -> dict[str, str | None]:
        return {row["doc_id"]: row["origin"] for row in read.document_rows(self.client, self.names)}

    def document_titles(self) -> dict[str, str]:
        return {row["doc_id"]: row["title"] for row in read.document_rows(self.client, self.names)}

    def page_origins(self) -> dict[str, tuple[str, int]]:
        return read.page_origins(self.client, self.names)

    def book_pages(self, doc_id: str) -> tuple[Page, ...]:
        pages = read.stored_pages(self.client, self.names, doc_id)
        return tuple(
            Page(number, page.text if page.raw is None else page.raw, page.origin)
            for number, page in sorted(pages.items())
        )

    def page_text(self, doc_id: str, numbers: Sequence[int]) -> str | None:
        pages = read.stored_pages(self.client, self.names, doc_id, numbers)
        if len(pages) != len(set(numbers)):
            return None
        return "\n".join(page.text for _, page in sorted(pages.items()))

    def page_numbers(self, doc_id: str) -> list[int]:
        return sorted(read.stored_pages(self.client, self.names, doc_id))

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        return read.document_chunks(self.client, self.names, doc_id)

    @property
    def recipe(self) -> dict[str, int]:
        # Not recorded in Milvus: a change of chunk sizes still re-chunks (it is part of each
        # document's content hash) but is not announced.
        return {}

    def changed_on_disk(self) -> bool:
        return False  # every read goes to Milvus: there is no local view to refresh

    def reload(self) -> bool:
        return False

    # --------------------------------------------------------------- searching
    def _ranking(self, found: list[ScoredChunk]) -> Ranking:
        with self._seen_lock:
            for item in found:
                self._seen[item.chunk.id] = item.chunk
                self._seen.move_to_end(item.chunk.id)
            while len(self._seen) > _REMEMBERED_CHUNKS:
                self._seen.popitem(last=False)
        return Ranking(tuple(i.chunk.id for i in found), tuple(i.score for i in found))

    @property
    def _search(self) -> ChunkSearch:
        return ChunkSearch(self.client, self.names, self.dense, self._dimension)

    def search_dense(
        self, query_vector: np.ndarray, depth: int, docs: Sequence[str] | None = None
    ) -> Ranking:
        return self._ranking(self._search.dense_search(query_vector, depth, docs))

    def search_lexical(
        self, query_text: str, depth: int, docs: Sequence[str] | None = None
    ) -> Ranking:
        """BM25 over citeqa's own terms (``rows.lexical_terms``), as the folder backend's."""
        return self._ranking(self._search.lexical_search(query_text, depth, docs))

    def chunk(self, chunk_id: str) -> Chunk:
        with self._seen_lock:
            chunk = self._seen.get(chunk_id)
        if chunk is None:
            chunk = read.chunks_by_id(self.client, self.names, [chunk_id])[chunk_id]
        return chunk

    # ----------------------------------------------------------------- writing
    @contextmanager
    def writing(self, *, wait: bool = True) -> Iterator[None]:
        """Hold the index's writer lease (see ``lease``); writers in any process queue.

        Without ``wait``, ``IndexBusy`` at once when another writer holds it. Taking it first
        cleans up after a writer that died mid-update. Re-entrant within a thread.
        """
        if not self._writer.acquire(blocking=wait):
            raise IndexBusy(f"another thread is writing to {self._where()}")
        try:
            if self._holding:
                yield
                return
            lease = self._require_lease()
            lease.acquire(wait=wait)
            self._holding = True
            try:
                self._update().recover(self._where())
                yield
            finally:
                self._holding = False
                lease.release()
        finally:
            self._writer.release()

    def _require_lease(self) -> Lease:
        if self._lease is None:
            raise IndexCorrupt("the Milvus index is not open")
        return self._lease

    def _update(self) -> CollectionWriter:
        return CollectionWriter(self.client, self.names, self._require_lease())

    def cached_vectors(self, embed_keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors from this machine's embedding cache only."""
        if self._cache is None:
            raise IndexCorrupt("the Milvus index is not open")
        return self._cache.get_many(self._fingerprint, list(dict.fromkeys(embed_keys)))

    def stored_vectors(self, embed_keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors from the local embedding cache, else from the chunks in Milvus: an
        interrupted build started again on any machine does not embed what it already wrote."""
        keys = list(dict.fromkeys(embed_keys))
        found = self.cached_vectors(keys)
        missing = [k for k in keys if k not in found]
        if missing:
            found.update(read.vectors_by_key(self.client, self.names, missing))
        return found

    def store_vectors(self, embed_keys: Sequence[str], vectors: np.ndarray) -> None:
        if self._cache is None:
            raise IndexCorrupt("the Milvus index is not open")
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
        self.apply(records, removed, vectors)

    def apply(
        self,
        records: Sequence[DocumentRecord],
        removed: Sequence[str],
        vectors: Mapping[str, np.ndarray],
    ) -> None:
        """Write ``records`` (replacing documents with the same ids) and delete ``removed``.

        ``vectors`` maps every chunk's embed key to its vector. Everything is checked before
        anything is written (``ValueError``). Runs under the writer lease, taken here unless
        the caller holds it. What a crash leaves: see ``update``.
        """
        check_records(records, vectors, self._dimension)
        replaced = {record.doc_id for record in records}
        with self.writing():
            update, version = self._update(), new_version()
            for record in records:
                update.replace(record, version, vectors)
            for doc_id in dict.fromkeys(removed):
                if doc_id not in replaced:
                    update.remove(doc_id, version)
