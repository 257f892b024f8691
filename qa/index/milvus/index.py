"""A citeqa index kept in Milvus, so that several citeqa processes serve one collection.

Four collections (see ``milvus_schema``): ``PREFIX_chunks`` (text, metadata, the dense
vector and the BM25 terms Milvus turns into a sparse vector), ``PREFIX_pages``,
``PREFIX_documents`` and ``PREFIX_meta`` (model, writer lease, unfinished updates). Milvus is
the only truth: nothing is cached in the process, so a write by one process is what the next
search of every other process sees (the collections use Strong consistency).

Where: a path ending in ``.db`` is embedded Milvus Lite, which one process at a time may open
(for several, run ``milvus-lite server --data-dir FILE.db`` and give them its address);
``http://host:19530`` is a Milvus server or cluster, with the token from
``CITEQA_MILVUS_TOKEN``.

Updates write each document under a new version and switch to it in one write, so readers see
every document whole and a crash leaves nothing a reader sees (``milvus_update``); writers in
any process queue on a lease (``milvus_lease``).

This module is the public surface only, and ~400 lines because the surface is large: every
read ``IndexStore`` offers, three searches, writing. The work lives in the modules named.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from pymilvus import MilvusClient
from pymilvus.exceptions import MilvusException

from qa.errors import IndexBusy, IndexCorrupt, IndexNotFound, ModelMismatch
from qa.index.milvus.lease import Lease
from qa.index.milvus.read import current_versions, scan
from qa.index.milvus.rows import (
    CHUNK_OUTPUT,
    DUMMY_VECTOR,
    PAGE_OUTPUT,
    StoredPage,
    check_records,
    chunk_from_row,
    document_info,
    pages_from_rows,
    quote,
)
from qa.index.milvus.schema import Collections, DenseIndex, create_missing
from qa.index.milvus.search import ChunkSearch, ScoredChunk
from qa.index.milvus.update import Update, new_version
from qa.index.records import DocumentInfo, DocumentRecord
from qa.types import Chunk, Page

__all__ = ["MilvusIndex", "ScoredChunk"]

FORMAT_VERSION = 1
TOKEN_ENV = "CITEQA_MILVUS_TOKEN"
_MODEL_KEY = "model"
_SERVER_SCHEMES = ("http://", "https://", "tcp://")
_DOCUMENT_FIELDS = (
    "doc_id",
    "version",
    "title",
    "source",
    "origin",
    "content_hash",
    "page_count",
    "chunks",
    "added_at",
)


def is_lite(uri: str) -> bool:
    return not uri.startswith(_SERVER_SCHEMES)


class MilvusIndex:
    """One index in one Milvus. Cheap constructor; ``open`` connects (and creates)."""

    def __init__(
        self,
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
        self.uri = uri
        self.names = Collections.named(prefix)
        self.dense = dense or DenseIndex()
        self._token = os.environ.get(TOKEN_ENV, "") if token is None else token
        self._lease_seconds, self._lease_settle = lease_seconds, lease_settle
        self._client: MilvusClient | None = None
        self._lease: Lease | None = None
        self._dimension = 0
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
        rows = client.query(
            names.meta, filter=f"key == {quote(_MODEL_KEY)}", output_fields=["value"]
        )
        if not rows:
            if not create:
                raise IndexNotFound(self._not_found())
            model = {
                "fingerprint": model_fingerprint,
                "dimension": dimension,
                "format": FORMAT_VERSION,
            }
            # Written last: collections without this row are an index still being created.
            client.upsert(
                names.meta,
                [{"key": _MODEL_KEY, "value": json.dumps(model), "dummy": DUMMY_VECTOR}],
            )
        else:
            model = json.loads(rows[0]["value"])
        self._check_model(model, model_fingerprint, dimension)
        self._dimension = dimension
        self._lease = Lease(
            client,
            names.meta,
            where=self._where(),
            seconds=self._lease_seconds,
            settle=self._lease_settle,
        )
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

    def _check_model(self, model: Mapping[str, Any], fingerprint: str, dimension: int) -> None:
        if model.get("format") != FORMAT_VERSION:
            raise IndexCorrupt(
                f"{self._where()} has index format {model.get('format')}, this version reads "
                f"{FORMAT_VERSION}; rebuild it under a new collection prefix"
            )
        if model.get("fingerprint") != fingerprint or model.get("dimension") != dimension:
            raise ModelMismatch(
                f"{self._where()} holds vectors of model {model.get('fingerprint')!r} "
                f"({model.get('dimension')} dimensions), not {fingerprint!r} ({dimension}); "
                "open it with the same model, or rebuild it under a new collection prefix"
            )

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

    @property
    def client(self) -> MilvusClient:
        if self._client is None or self._lease is None:
            raise IndexCorrupt("the Milvus index is not open")
        return self._client

    # ----------------------------------------------------------------- reading
    def _document_rows(self) -> list[dict[str, Any]]:
        return scan(self.client, self.names.documents, 'doc_id != ""', _DOCUMENT_FIELDS)

    def __len__(self) -> int:
        return sum(int(row["chunks"]) for row in self._document_rows())

    def documents(self) -> list[DocumentInfo]:
        infos = [document_info(row) for row in self._document_rows()]
        return sorted(infos, key=lambda info: (info.title, info.doc_id))

    def document_hashes(self) -> dict[str, str]:
        return {row["doc_id"]: row["content_hash"] for row in self._document_rows()}

    def document_origins(self) -> dict[str, str | None]:
        return {row["doc_id"]: row["origin"] for row in self._document_rows()}

    def document_titles(self) -> dict[str, str]:
        return {row["doc_id"]: row["title"] for row in self._document_rows()}

    def page_origins(self) -> dict[str, tuple[str, int]]:
        """Page file path -> (doc id, page number), for the pages of books."""
        versions = {row["doc_id"]: row["version"] for row in self._document_rows()}
        fields = ("doc_id", "version", "number", "origin")
        rows = scan(self.client, self.names.pages, "part == 0", fields)
        return {
            row["origin"]: (row["doc_id"], int(row["number"]))
            for row in rows
            if row["origin"] and versions.get(row["doc_id"]) == row["version"]
        }

    def _pages(self, doc_id: str, numbers: Sequence[int] | None = None) -> dict[int, StoredPage]:
        version = current_versions(self.client, self.names, [doc_id]).get(doc_id)
        if version is None:
            return {}
        where = f"doc_id == {quote(doc_id)} and version == {quote(version)}"
        if numbers is not None:
            where += f" and number in [{', '.join(str(int(n)) for n in numbers)}]"
        return pages_from_rows(scan(self.client, self.names.pages, where, PAGE_OUTPUT))

    def book_pages(self, doc_id: str) -> tuple[Page, ...]:
        """A book's pages as they were loaded, each with the file it came from, in order."""
        pages = self._pages(doc_id)
        return tuple(
            Page(number, page.text if page.raw is None else page.raw, page.origin)
            for number, page in sorted(pages.items())
        )

    def page_text(self, doc_id: str, numbers: Sequence[int]) -> str | None:
        """The cleaned text of the given pages joined in order, or None if any is missing."""
        pages = self._pages(doc_id, numbers)
        if len(pages) != len(set(numbers)):
            return None
        return "\n".join(page.text for _, page in sorted(pages.items()))

    def page_numbers(self, doc_id: str) -> list[int]:
        """The numbers of the stored pages of ``doc_id``, in order."""
        return sorted(self._pages(doc_id))

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        """The chunks of ``doc_id`` at its current version, in document order."""
        version = current_versions(self.client, self.names, [doc_id]).get(doc_id)
        if version is None:
            return []
        where = f"doc_id == {quote(doc_id)} and version == {quote(version)}"
        rows = scan(self.client, self.names.chunks, where, (*CHUNK_OUTPUT, "position"))
        return [chunk_from_row(row) for row in sorted(rows, key=lambda row: row["position"])]

    def stored_vectors(self, embed_keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Embed key -> (dimension,) float32 vector, for the keys some stored chunk has.

        An update embeds only the texts missing here, so an interrupted build started again
        on any machine does not embed the documents it already wrote.
        """
        found: dict[str, np.ndarray] = {}
        keys = list(dict.fromkeys(embed_keys))
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            where = f"embed_key in [{', '.join(quote(k) for k in batch)}]"
            for row in scan(self.client, self.names.chunks, where, ("embed_key", "vector")):
                found[row["embed_key"]] = np.asarray(row["vector"], dtype=np.float32)
        return found

    def chunks(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        """Chunk id -> chunk, for the ids stored at their document's current version."""
        found: dict[str, Chunk] = {}
        ids = list(dict.fromkeys(chunk_ids))
        for start in range(0, len(ids), 500):
            where = f"id in [{', '.join(quote(i) for i in ids[start : start + 500])}]"
            rows = scan(self.client, self.names.chunks, where, CHUNK_OUTPUT)
            versions = current_versions(self.client, self.names, {r["doc_id"] for r in rows})
            for row in rows:
                if versions.get(row["doc_id"]) == row["version"]:
                    found[row["id"]] = chunk_from_row(row)
        return found

    # --------------------------------------------------------------- searching
    @property
    def _search(self) -> ChunkSearch:
        return ChunkSearch(self.client, self.names, self.dense, self._dimension)

    def search_dense(
        self, query_vector: np.ndarray, depth: int, docs: Sequence[str] | None = None
    ) -> list[ScoredChunk]:
        """The ``depth`` chunks nearest ``query_vector`` (inner product), best first; ``docs``
        limits the search to those document ids."""
        return self._search.dense_search(query_vector, depth, docs)

    def search_lexical(
        self, query_text: str, depth: int, docs: Sequence[str] | None = None
    ) -> list[ScoredChunk]:
        """The ``depth`` best BM25 matches of ``query_text``, best first (none without a term).

        The terms are citeqa's own (``milvus_rows.lexical_terms``), as the FAISS backend's.
        """
        return self._search.lexical_search(query_text, depth, docs)

    def search_hybrid(
        self,
        query_text: str,
        query_vector: np.ndarray,
        depth: int,
        docs: Sequence[str] | None = None,
        *,
        candidates: int | None = None,
        weights: tuple[float, float] = (1, 2),
        rrf_k: int = 30,
        normalised: bool = False,
    ) -> list[ScoredChunk]:
        """Dense and BM25 results fused in Milvus by one ``hybrid_search``, best first.

        Each side brings its ``candidates`` best (default ``depth``). They are fused by
        weighted reciprocal rank, ``sum(w / (rrf_k + rank))`` with ``weights`` = (dense,
        lexical): the engine's own fusion, whose defaults these are. Milvus's ``RRFRanker``
        takes no weights, so a side of weight ``w`` is sent ``w`` times (whole weights only;
        the default costs one more BM25 search). With ``normalised``, Milvus's
        ``WeightedRanker`` fuses the sides' normalised scores with ``weights`` instead.

        The fused list carries no rank per side; ``search_dense`` and ``search_lexical``,
        fused by the caller, rank the same and keep them.
        """
        return self._search.hybrid_search(
            query_text,
            query_vector,
            depth,
            docs,
            candidates=candidates,
            weights=weights,
            rrf_k=rrf_k,
            normalised=normalised,
        )

    # ----------------------------------------------------------------- writing
    @contextmanager
    def writing(self, *, wait: bool = True) -> Iterator[None]:
        """Hold the index's writer lease (see ``milvus_lease``); writers in any process queue.

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

    def apply(
        self,
        records: Sequence[DocumentRecord],
        removed: Sequence[str],
        vectors: Mapping[str, np.ndarray],
    ) -> None:
        """Write ``records`` (replacing documents with the same ids) and delete ``removed``.

        ``vectors`` maps every chunk's embed key to its vector. Everything is checked before
        anything is written (``ValueError``). Runs under the writer lease, taken here unless
        the caller holds it. What a crash leaves: see ``milvus_update``.
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

    def _update(self) -> Update:
        return Update(self.client, self.names, self._require_lease())
