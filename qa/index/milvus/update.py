"""Writing a Milvus index: updates that a crash cannot leave half-seen, and the cleanup after one.

Milvus has no transaction over several rows, so each update writes its rows under a fresh
*version*, and a document changes version in one write: the upsert of its row in
``documents``. For each document an update (1) notes it as pending in ``meta``, (2) writes
the new pages and chunks beside the old ones, (3) upserts the document row naming the new
version (or deletes it, for a removed document), (4) deletes the document's rows of any other
version, and (5) clears the pending note.

Searches and page reads keep only rows of the version their document row names, so a reader
sees each document whole, old or new, even while a writer is at step 2 or 4 (a search may
then return fewer than ``depth`` chunks). A writer killed anywhere leaves at most its pending
documents with rows of a stale version, which no reader sees; the next writer, on taking the
lease, deletes them (``recover``: steps 4 and 5), and running the same update again converges
to the same state.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
from pymilvus import MilvusClient

from qa.index.milvus.lease import Lease
from qa.index.milvus.read import current_versions, scan
from qa.index.milvus.rows import (
    DUMMY_VECTOR,
    chunk_rows,
    doc_key,
    document_row,
    page_rows,
    quote,
)
from qa.index.milvus.schema import Collections
from qa.index.records import DocumentRecord

logger = logging.getLogger(__name__)

_PENDING = "pending/"
# One upsert stays far below Milvus's message limits (64 MB and up) and keeps memory flat.
_BATCH_ROWS = 256
_BATCH_BYTES = 4 * 1024 * 1024


def new_version() -> str:
    """A version no update has used: the rows an update writes never overwrite others."""
    return uuid.uuid4().hex[:16]


class CollectionWriter:
    """One writer's view of the collections; the caller holds ``lease`` throughout, and gives
    every document of one update the same ``new_version``."""

    def __init__(self, client: MilvusClient, names: Collections, lease: Lease) -> None:
        self.client = client
        self.names = names
        self.lease = lease

    def replace(
        self, record: DocumentRecord, version: str, vectors: Mapping[str, np.ndarray]
    ) -> None:
        """Steps 1-5 for a new or changed document (its chunks' ``vectors`` checked already)."""
        with self._pending(record.doc_id, version):
            self._upsert(self.names.pages, page_rows(record, version))
            self._upsert(self.names.chunks, chunk_rows(record, version, vectors))
            self.lease.check()
            self.client.upsert(self.names.documents, [document_row(record, version, time.time())])
            self._sweep(record.doc_id, version)

    def remove(self, doc_id: str, version: str) -> None:
        """Steps 1-5 for a removed document."""
        with self._pending(doc_id, version):
            self.client.delete(self.names.documents, ids=[doc_id])
            self._sweep(doc_id, None)

    def recover(self, where: str) -> None:
        """Finish the cleanup of updates whose writer died (steps 4 and 5)."""
        notes = scan(self.client, self.names.meta, f'key like "{_PENDING}%"', ("key", "value"))
        for note in notes:
            doc_id = note["value"]
            logger.warning("cleaning up an interrupted update of %r in %s", doc_id, where)
            version = current_versions(self.client, self.names, [doc_id]).get(doc_id)
            self._sweep(doc_id, version)
            self.client.delete(self.names.meta, ids=[note["key"]])

    @contextmanager
    def _pending(self, doc_id: str, version: str) -> Iterator[None]:
        """Note ``doc_id`` as being changed while the body runs (kept if the body fails)."""
        self.lease.check()
        key = f"{_PENDING}{version}/{doc_key(doc_id)}"
        self.client.upsert(self.names.meta, [{"key": key, "value": doc_id, "dummy": DUMMY_VECTOR}])
        yield
        self.client.delete(self.names.meta, ids=[key])

    def _upsert(self, collection: str, rows: Iterable[dict[str, Any]]) -> None:
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
