"""Incremental indexing: documents -> chunks -> cached or fresh embeddings -> the index store."""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from qa.encoder import Encoder
from qa.errors import IngestError
from qa.pipeline import prepare_documents
from qa.retrieval.fields import dense_text
from qa.settings import Settings
from qa.store import DocumentRecord, IndexStore, StoredChunk
from qa.types import Chunk, Document

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called as ``progress(chunks_done, chunks_total)`` while embedding."""

_ENCODE_BATCH = 64


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
    """Hash of what the loader read, so an unchanged file is skipped before any cleaning."""
    digest = hashlib.sha1()
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


def plan_update(
    store: IndexStore,
    encoder: Encoder,
    documents: Sequence[Document],
    *,
    settings: Settings,
    origins: Mapping[str, str] | None = None,
    remove: Sequence[str] = (),
    errors: Sequence[IngestError] = (),
    progress: Progress | None = None,
) -> Update:
    """Do the slow work of an update without changing what searches see.

    Only documents whose content hash changed are cleaned and chunked; of their chunks, only
    texts missing from the embedding cache are encoded (into the cache). ``origins`` maps doc
    ids to the absolute path each was read from; ``remove`` lists doc ids to drop.
    """
    started = time.perf_counter()
    known = store.document_hashes()
    hashes = {doc.id: content_hash(doc) for doc in documents}
    changed = [doc for doc in documents if known.get(doc.id) != hashes[doc.id]]
    unchanged = tuple(doc.id for doc in documents if known.get(doc.id) == hashes[doc.id])
    removed = tuple(d for d in dict.fromkeys(remove) if d in known and d not in hashes)

    prepared, too_big = _prepare(changed, settings)
    changed = [doc for doc, _ in prepared]
    planned = [
        (doc, [StoredChunk(c, embed_key(dense_text(c))) for c in chunks])
        for doc, chunks in prepared
    ]
    embedded, reused = _embed_missing(
        store, encoder, [s for _, ss in planned for s in ss], progress
    )
    origins = origins or {}
    records = tuple(
        DocumentRecord(
            doc_id=doc.id,
            title=doc.title,
            source=doc.source,
            origin=origins.get(doc.id),
            content_hash=hashes[doc.id],
            page_count=doc.page_count,
            chunks=tuple(stored),
            pages=doc.pages or (),
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
    encoder: Encoder,
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
    with exclusive or nullcontext():
        store.apply(update.records, update.removed, lexical)
    store.publish(encoder.fingerprint, encoder.dimension)


def _prepare(
    documents: Sequence[Document], settings: Settings
) -> tuple[list[tuple[Document, list[Chunk]]], list[IngestError]]:
    """Cleaned documents with their chunks (duplicates within a document dropped).

    A document over the chunk limit is refused as an error rather than indexed in part.
    """
    out = []
    errors = []
    for item in prepare_documents(documents, settings):
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
        progress(0, total)
    bar = tqdm(
        total=total,
        unit="chunk",
        desc="embedding",
        disable=total == 0 or not sys.stderr.isatty(),
    )
    with bar:
        for start in range(0, total, _ENCODE_BATCH):
            keys = missing[start : start + _ENCODE_BATCH]
            vectors = encoder.encode([texts_by_key[k] for k in keys])
            # Written batch by batch so a crash keeps the work already paid for.
            store.cache.put_many(encoder.fingerprint, keys, vectors)
            bar.update(len(keys))
            if progress is not None:
                progress(min(start + len(keys), total), total)
    return total, reused


def origin_of(argument: Path, source: str | None) -> str:
    """Absolute path of what a document was loaded from, used to notice deleted files."""
    if argument.is_dir() and source:
        return str((argument / source).resolve())
    return str(argument.resolve())
