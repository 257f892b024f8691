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

Updates and crashes. Milvus has no transaction over several rows, so each update writes its
rows under a fresh *version*, and a document changes version in one write: the upsert of its
row in ``documents``. For each document an update (1) notes it as pending in ``meta``,
(2) writes the new pages and chunks beside the old ones, (3) upserts the document row naming
the new version (or deletes it, for a removed document), (4) deletes the document's rows of
any other version, and (5) clears the pending note. Searches and page reads keep only rows of
the version their document row names, so a reader sees each document whole, old or new,
even while a writer is at step 2 or 4 (a search may then return fewer than ``depth``
chunks). A writer killed anywhere leaves at most its pending documents with rows of a stale
version; the next writer, on taking the lease, deletes them (steps 4 and 5), and running the
same update again converges to the same state.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pymilvus import AnnSearchRequest, MilvusClient, RRFRanker, WeightedRanker
from pymilvus.exceptions import MilvusException

from qa.errors import IndexBusy, IndexCorrupt, IndexNotFound, ModelMismatch
from qa.index.milvus_lease import Lease
from qa.index.milvus_rows import (
    CHUNK_OUTPUT,
    DUMMY_VECTOR,
    PAGE_OUTPUT,
    StoredPage,
    bm25_score,
    check_records,
    chunk_from_row,
    chunk_rows,
    doc_filter,
    doc_key,
    document_info,
    document_row,
    lexical_terms,
    page_rows,
    pages_from_rows,
    quote,
)
from qa.index.milvus_schema import Collections, DenseIndex, create_missing
from qa.store import DocumentInfo, DocumentRecord, squash
from qa.types import Chunk, Page

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
TOKEN_ENV = "CITEQA_MILVUS_TOKEN"
_MODEL_KEY = "model"
_PENDING = "pending/"
_SERVER_SCHEMES = ("http://", "https://", "tcp://")
# One insert stays far below Milvus's message limits (64 MB and up) and keeps memory flat.
_BATCH_ROWS = 256
_BATCH_BYTES = 4 * 1024 * 1024
_SCAN_BATCH = 1000
# Milvus answers at most this many rows per query (offset + limit).
_WINDOW = 16_384


@dataclass(frozen=True)
class ScoredChunk:
    """A chunk found by a search and its score (higher is better; the scale is the search's)."""

    chunk: Chunk
    score: float


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
    def _scan(self, collection: str, filter: str, fields: Sequence[str]) -> list[dict[str, Any]]:
        """Every row matching ``filter``, however many.

        One query when they fit in Milvus's largest result window (the usual case); a query
        iterator otherwise (which against Milvus Lite logs a harmless warning).
        """
        client = self.client
        rows = client.query(collection, filter=filter, output_fields=list(fields), limit=_WINDOW)
        if len(rows) < _WINDOW:
            return list(rows)
        pages = client.query_iterator(
            collection, batch_size=_SCAN_BATCH, filter=filter, output_fields=list(fields)
        )
        found: list[dict[str, Any]] = []
        try:
            while batch := pages.next():
                found.extend(batch)
        finally:
            pages.close()
        return found

    def _document_rows(self) -> list[dict[str, Any]]:
        fields = (
            "doc_id",
            "version",
            "title",
            "source",
            "origin",
            "content_hash",
            "page_count",
            "chunks",
        )
        return list(self._scan(self.names.documents, 'doc_id != ""', fields))

    def _versions(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """Document id -> the version its rows must have to be seen (absent: not indexed)."""
        wanted = list(dict.fromkeys(doc_ids))
        if not wanted:
            return {}
        rows = self.client.query(
            self.names.documents, filter=doc_filter(wanted), output_fields=["doc_id", "version"]
        )
        return {row["doc_id"]: row["version"] for row in rows}

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
        rows = self._scan(self.names.pages, "part == 0", ("doc_id", "version", "number", "origin"))
        return {
            row["origin"]: (row["doc_id"], int(row["number"]))
            for row in rows
            if row["origin"] and versions.get(row["doc_id"]) == row["version"]
        }

    def _pages(self, doc_id: str, numbers: Sequence[int] | None = None) -> dict[int, StoredPage]:
        version = self._versions([doc_id]).get(doc_id)
        if version is None:
            return {}
        where = f"doc_id == {quote(doc_id)} and version == {quote(version)}"
        if numbers is not None:
            where += f" and number in [{', '.join(str(int(n)) for n in numbers)}]"
        return pages_from_rows(self._scan(self.names.pages, where, PAGE_OUTPUT))

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

    def quote_pages(self, doc_id: str, pages: Sequence[int], quote_text: str) -> tuple[int, ...]:
        """The pages among ``pages`` whose cleaned text holds the quote (as ``IndexStore``).

        One page holding it gives that page, a page break inside it gives both pages, and
        () means the stored pages do not hold it.
        """
        wanted = squash(quote_text)
        texts = {number: squash(page.text) for number, page in self._pages(doc_id, pages).items()}
        for page in pages:
            if page in texts and wanted in texts[page]:
                return (page,)
        for first, second in itertools.pairwise(pages):
            if first in texts and second in texts and wanted in texts[first] + texts[second]:
                return (first, second)
        return ()

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
            for row in self._scan(self.names.chunks, where, ("embed_key", "vector")):
                found[row["embed_key"]] = np.asarray(row["vector"], dtype=np.float32)
        return found

    # --------------------------------------------------------------- searching
    def _visible(self, hits: Sequence[Any], score: Any) -> list[ScoredChunk]:
        """Hits of the versions their documents name now, best first, scored by ``score``."""
        rows = [hit["entity"] for hit in hits]
        versions = self._versions(row["doc_id"] for row in rows)
        return [
            ScoredChunk(chunk_from_row(row), float(score(hit)))
            for hit, row in zip(hits, rows, strict=True)
            if versions.get(row["doc_id"]) == row["version"]
        ]

    def _query_vector(self, vector: np.ndarray) -> list[float]:
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape != (self._dimension,) or not np.isfinite(query).all():
            raise ValueError(
                f"expected a query vector of {self._dimension} finite numbers, got {query.shape}"
            )
        return query.tolist()

    def _dense_params(self, limit: int) -> dict[str, Any]:
        return {"metric_type": "IP", "params": self.dense.search_params(limit)}

    def search_dense(
        self, query_vector: np.ndarray, depth: int, docs: Sequence[str] | None = None
    ) -> list[ScoredChunk]:
        """The ``depth`` chunks nearest ``query_vector`` (inner product), best first; ``docs``
        limits the search to those document ids."""
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

    def search_lexical(
        self, query_text: str, depth: int, docs: Sequence[str] | None = None
    ) -> list[ScoredChunk]:
        """The ``depth`` best BM25 matches of ``query_text``, best first (none without a term)."""
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
        dense_weight, lexical_weight = weights
        if normalised:
            valid = all(w >= 0 for w in weights)
        else:
            valid = all(isinstance(w, int) and not isinstance(w, bool) and w >= 0 for w in weights)
        if not valid or not any(weights):
            kind = "non-negative numbers" if normalised else "whole numbers from 0"
            raise ValueError(f"weights must be two {kind}, not both 0, got {weights!r}")
        if depth < 1 or (docs is not None and not docs):
            return []
        per_side = max(candidates or depth, depth)
        where = doc_filter(docs) if docs else ""
        terms = lexical_terms(query_text)
        sides = [
            (
                AnnSearchRequest(
                    data=[self._query_vector(query_vector)],
                    anns_field="vector",
                    param=self._dense_params(per_side),
                    limit=per_side,
                    expr=where,
                ),
                dense_weight,
            )
        ]
        if terms:
            lexical = AnnSearchRequest(
                data=[terms],
                anns_field="sparse",
                param={"metric_type": "BM25"},
                limit=per_side,
                expr=where,
            )
            sides.append((lexical, lexical_weight))
        sides = [(request, weight) for request, weight in sides if weight]
        if not sides:
            return []
        if normalised:
            requests = [request for request, _ in sides]
            ranker: RRFRanker | WeightedRanker = WeightedRanker(*(w for _, w in sides))
        else:
            requests = [request for request, weight in sides for _ in range(int(weight))]
            ranker = RRFRanker(rrf_k)
        hits = self.client.hybrid_search(
            self.names.chunks, requests, ranker, limit=depth, output_fields=list(CHUNK_OUTPUT)
        )[0]
        return self._visible(hits, lambda hit: hit["distance"])

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
                self._recover()
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
        the caller holds it. See the module docstring for what a crash leaves.
        """
        check_records(records, vectors, self._dimension)
        replaced = {record.doc_id for record in records}
        with self.writing():
            version = uuid.uuid4().hex[:16]
            for record in records:
                with self._pending(record.doc_id, version):
                    self._insert(self.names.pages, page_rows(record, version))
                    self._insert(self.names.chunks, chunk_rows(record, version, vectors))
                    self._require_lease().check()
                    self.client.upsert(
                        self.names.documents, [document_row(record, version, time.time())]
                    )
                    self._sweep(record.doc_id, version)
            for doc_id in dict.fromkeys(removed):
                if doc_id in replaced:
                    continue
                with self._pending(doc_id, version):
                    self.client.delete(self.names.documents, ids=[doc_id])
                    self._sweep(doc_id, None)

    @contextmanager
    def _pending(self, doc_id: str, version: str) -> Iterator[None]:
        """Note ``doc_id`` as being changed while the body runs (kept if the body fails)."""
        self._require_lease().check()
        key = f"{_PENDING}{version}/{doc_key(doc_id)}"
        self.client.upsert(self.names.meta, [{"key": key, "value": doc_id, "dummy": DUMMY_VECTOR}])
        yield
        self.client.delete(self.names.meta, ids=[key])

    def _insert(self, collection: str, rows: Iterable[dict[str, Any]]) -> None:
        """Upsert ``rows`` in batches (upsert: a retried batch cannot duplicate rows)."""
        batch: list[dict[str, Any]] = []
        size = 0
        for row in rows:
            batch.append(row)
            # Roughly the bytes sent: text as is, a vector's numbers at four bytes each.
            size += sum(
                len(v) if isinstance(v, str) else 4 * len(v)
                for v in row.values()
                if isinstance(v, str | list)
            )
            if len(batch) >= _BATCH_ROWS or size >= _BATCH_BYTES:
                self.client.upsert(collection, batch)
                batch, size = [], 0
        if batch:
            self.client.upsert(collection, batch)

    def _sweep(self, doc_id: str, version: str | None) -> None:
        """Delete ``doc_id``'s page and chunk rows of every version but ``version``."""
        where = f"doc_id == {quote(doc_id)}"
        if version is not None:
            where += f" and version != {quote(version)}"
        for collection in (self.names.chunks, self.names.pages):
            self.client.delete(collection, filter=where)

    def _recover(self) -> None:
        """Finish the cleanup of updates whose writer died (steps 4 and 5 of the docstring)."""
        notes = list(self._scan(self.names.meta, f'key like "{_PENDING}%"', ("key", "value")))
        for note in notes:
            doc_id = note["value"]
            logger.warning("cleaning up an interrupted update of %r in %s", doc_id, self._where())
            self._sweep(doc_id, self._versions([doc_id]).get(doc_id))
            self.client.delete(self.names.meta, ids=[note["key"]])
