"""Incremental indexing: documents -> chunks -> cached or fresh embeddings -> the index store."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from qa.chunking import CHUNKING_VERSION
from qa.encoder import Encoder, encode_batches
from qa.errors import IngestError
from qa.ingest import Progress
from qa.ingest.page_export import book_source
from qa.pipeline import prepare_documents
from qa.retrieval.fields import dense_text
from qa.settings import Settings
from qa.store import DocumentRecord, IndexStore, StoredChunk
from qa.types import Chunk, Document, Page

logger = logging.getLogger(__name__)

_ENCODE_BATCH = 64


@dataclass(frozen=True)
class Scan:
    """What one read of files and folders covered, so an update can tell what disappeared.

    ``folders`` were read whole (absolute paths); ``failed`` holds the absolute paths of files
    that could not be read this time, whose documents and pages are therefore kept.
    """

    folders: tuple[str, ...] = ()
    failed: frozenset[str] = frozenset()

    def covers(self, origin: str) -> bool:
        return origin not in self.failed and any(
            Path(origin).is_relative_to(folder) for folder in self.folders
        )


@dataclass(frozen=True)
class AddSummary:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    chunks_embedded: int = 0
    chunks_reused: int = 0
    errors: tuple[IngestError, ...] = field(default=())
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "added": list(self.added),
            "updated": list(self.updated),
            "unchanged": list(self.unchanged),
            "removed": list(self.removed),
            "chunks_embedded": self.chunks_embedded,
            "chunks_reused": self.chunks_reused,
            "errors": [{"path": e.path, "reason": e.reason} for e in self.errors],
            "seconds": round(self.seconds, 3),
        }

    def __str__(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed; "
            f"{self.chunks_embedded} chunks embedded, {self.chunks_reused} reused; "
            f"{len(self.errors)} errors; {self.seconds:.1f} s"
        )


def content_hash(doc: Document) -> str:
    """Hash of what the loader read, so an unchanged file is skipped before any cleaning.

    The chunking version is part of it: a document indexed by older cleaning rules is redone.
    """
    digest = hashlib.sha1()
    digest.update(f"chunking {CHUNKING_VERSION}\x00".encode())
    digest.update(doc.title.encode())
    if doc.pages:
        for page in doc.pages:
            digest.update(f"\x00{page.number}\x00".encode())
            digest.update(page.text.encode())
    else:
        digest.update(b"\x01")
        digest.update(doc.text.encode())
    return digest.hexdigest()


def embed_key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


@dataclass(frozen=True)
class Update:
    """Cleaned, chunked and embedded documents, ready to be applied to the store."""

    records: tuple[DocumentRecord, ...]
    removed: tuple[str, ...]
    summary: AddSummary


def _book(doc_id: str, title: str, pages: Iterable[Page]) -> Document:
    ordered = tuple(sorted(pages, key=lambda page: page.number))
    origins = [page.origin for page in ordered if page.origin]
    return Document(id=doc_id, title=title, pages=ordered, source=book_source(origins) or None)


def _combine(documents: Sequence[Document]) -> list[Document]:
    """One document per id: pages of the same book given twice join (the later page wins)."""
    by_id: dict[str, Document] = {}
    for doc in documents:
        first = by_id.get(doc.id)
        if first is None:
            by_id[doc.id] = doc
        elif first.is_book and doc.is_book:
            pages = {page.number: page for page in (*(first.pages or ()), *(doc.pages or ()))}
            by_id[doc.id] = _book(doc.id, doc.title, pages.values())
        else:
            raise ValueError(f"two documents in one update have the id {doc.id!r}")
    return list(by_id.values())


def _assemble(
    store: IndexStore, documents: Sequence[Document], scan: Scan
) -> tuple[list[Document], list[str]]:
    """Incoming documents completed from the index, and the ids of documents that are gone.

    A book's new pages join the pages already indexed; pages whose files vanished from a
    folder that was read again leave it (and a book left without pages leaves the index). A
    document whose file vanished, or whose file was read again without producing it, goes.
    """
    read_files = {doc.origin for doc in documents if doc.origin}
    read_pages = {
        page.origin: (doc.id, page.number)
        for doc in documents
        if doc.is_book
        for page in doc.pages or ()
        if page.origin
    }
    read = read_files | set(read_pages)
    incoming = {doc.id for doc in documents}
    stored_origins = store.document_origins()
    removed = [
        doc_id
        for doc_id, origin in stored_origins.items()
        if origin and doc_id not in incoming and (origin in read or scan.covers(origin))
    ]
    page_origins = store.page_origins()
    dropped: dict[str, set[int]] = {}
    for origin, (doc_id, number) in page_origins.items():
        if origin in read_pages:
            if read_pages[origin] == (doc_id, number):
                continue
        elif not (origin in read or scan.covers(origin)):
            continue
        dropped.setdefault(doc_id, set()).add(number)

    books = {doc_id for doc_id, _ in page_origins.values()} | {
        # A book has no file of its own; indexes written before books kept pages recorded
        # the folder they were read from instead.
        doc_id
        for doc_id, origin in stored_origins.items()
        if not origin or Path(origin).is_dir()
    }
    assembled = []
    for doc in documents:
        if doc.is_book and doc.id in books:
            gone = dropped.get(doc.id, set())
            pages = {p.number: p for p in store.book_pages(doc.id) if p.number not in gone}
            pages.update((page.number, page) for page in doc.pages or ())
            doc = _book(doc.id, doc.title, pages.values())
        assembled.append(doc)
    titles = store.document_titles()
    for doc_id, gone in dropped.items():
        if doc_id in incoming:
            continue
        remaining = [page for page in store.book_pages(doc_id) if page.number not in gone]
        if remaining:
            assembled.append(_book(doc_id, titles[doc_id], remaining))
        else:
            removed.append(doc_id)
    return assembled, removed


def plan_update(
    store: IndexStore,
    encoder: Encoder,
    documents: Sequence[Document],
    *,
    settings: Settings,
    scan: Scan | None = None,
    remove: Sequence[str] = (),
    errors: Sequence[IngestError] = (),
    progress: Progress | None = None,
) -> Update:
    """Do the slow work of an update without changing what searches see.

    Books are completed with their indexed pages first (see ``_assemble``); ``scan`` says
    which folders were read whole, so that what vanished from them is removed; ``remove``
    lists more doc ids to drop. Only documents whose content hash changed are cleaned and
    chunked; of their chunks, only texts missing from the embedding cache are encoded.
    """
    started = time.perf_counter()
    known = store.document_hashes()
    documents, vanished = _assemble(store, _combine(documents), scan or Scan())
    loaded = {doc.id: doc for doc in documents}
    hashes = {doc.id: content_hash(doc) for doc in documents}
    changed = [doc for doc in documents if known.get(doc.id) != hashes[doc.id]]
    unchanged = tuple(doc.id for doc in documents if known.get(doc.id) == hashes[doc.id])
    removed = tuple(
        d for d in dict.fromkeys([*remove, *vanished]) if d in known and d not in hashes
    )

    prepared, too_big = _prepare(changed, settings, progress)
    changed = [doc for doc, _ in prepared]
    planned = [
        (doc, [StoredChunk(c, embed_key(dense_text(c))) for c in chunks])
        for doc, chunks in prepared
    ]
    embedded, reused = _embed_missing(
        store, encoder, [s for _, ss in planned for s in ss], progress
    )
    records = tuple(
        DocumentRecord(
            doc_id=doc.id,
            title=doc.title,
            source=doc.source,
            origin=doc.origin,
            content_hash=hashes[doc.id],
            page_count=doc.page_count,
            chunks=tuple(stored),
            pages=doc.pages or (),
            book_pages=(loaded[doc.id].pages or ()) if loaded[doc.id].is_book else (),
        )
        for doc, stored in planned
    )
    summary = AddSummary(
        added=tuple(d.id for d in changed if d.id not in known),
        updated=tuple(d.id for d in changed if d.id in known),
        unchanged=unchanged,
        removed=removed,
        chunks_embedded=embedded,
        chunks_reused=reused,
        errors=(*errors, *too_big),
        seconds=time.perf_counter() - started,
    )
    return Update(records, removed, summary)


def apply_update(
    store: IndexStore,
    update: Update,
    *,
    exclusive: AbstractContextManager[object] | None = None,
) -> None:
    """Commit ``update`` and publish the new search files.

    Only the switch to the new state runs inside ``exclusive`` (the caller's lock against
    concurrent searches); building the next BM25 index and writing snapshots do not.
    """
    if not (update.records or update.removed):
        return
    lexical = store.next_lexical(update.records, update.removed)
    with store.publishing():
        with exclusive or nullcontext():
            store.apply(update.records, update.removed, lexical)
        store.publish()


def _prepare(
    documents: Sequence[Document], settings: Settings, progress: Progress | None
) -> tuple[list[tuple[Document, list[Chunk]]], list[IngestError]]:
    """Cleaned documents with their chunks (duplicates within a document dropped).

    A document over the chunk limit is refused as an error rather than indexed in part.
    """
    out = []
    errors = []
    for item in prepare_documents(documents, settings, progress=progress):
        seen: set[str] = set()
        chunks = []
        for chunk in item.chunks:
            # Identical text twice in one document hashes to one id; keep the first.
            if chunk.id not in seen:
                seen.add(chunk.id)
                chunks.append(chunk)
        if len(chunks) > settings.max_chunks_per_file:
            errors.append(
                IngestError(
                    item.document.source or item.document.id,
                    f"{len(chunks)} chunks, over the limit of {settings.max_chunks_per_file} "
                    "(max_chunks_per_file)",
                )
            )
            continue
        out.append((item.document, chunks))
    return out, errors


def _embed_missing(
    store: IndexStore,
    encoder: Encoder,
    stored: Sequence[StoredChunk],
    progress: Progress | None,
) -> tuple[int, int]:
    assert store.cache is not None
    texts_by_key = {s.embed_key: dense_text(s.chunk) for s in stored}
    cached = store.cache.get_many(encoder.fingerprint, list(texts_by_key))
    # Longest first across the whole job, not just inside one encode call, so every batch
    # holds texts of similar length and little of it is padding.
    missing = sorted(
        (k for k in texts_by_key if k not in cached), key=lambda k: -len(texts_by_key[k])
    )
    missing_keys = set(missing)
    reused = sum(1 for s in stored if s.embed_key not in missing_keys)
    total = len(missing)
    if progress is not None:
        progress("embedding", 0, total)
    done = 0
    texts = [texts_by_key[k] for k in missing]
    for rows, vectors in encode_batches(encoder, texts, _ENCODE_BATCH):
        keys = [missing[row] for row in rows]
        # Written batch by batch so a crash keeps the work already paid for.
        store.cache.put_many(encoder.fingerprint, keys, vectors)
        done += len(keys)
        if progress is not None:
            progress("embedding", done, total)
    return total, reused
