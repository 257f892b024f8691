"""Incremental indexing: documents -> chunks -> cached or fresh embeddings -> the index store."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from qa.encoder import Encoder, embed_key, encode_batches
from qa.errors import IngestError
from qa.index.base import Index
from qa.index.records import DocumentRecord, StoredChunk
from qa.indexing.books import assemble, combine
from qa.indexing.pipeline import Scan, content_hash, prepare_documents, recipe
from qa.ingest import Progress, skipped_line
from qa.settings import Settings
from qa.text.fields import dense_text
from qa.text.units import answer_texts
from qa.types import Chunk, Document

# Texts per encode call. Each call ends by waiting for its last batch while the other stream
# idles: at 64 texts per call that tail cost the 2020 paper's index 5 of its 40 s.
_ENCODE_BATCH = 512


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
    # Files in the folders given that are not of a supported type, so were not read.
    skipped: tuple[str, ...] = ()
    # Why documents were cut again although their text did not change, if they were.
    note: str | None = None

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
            "skipped": list(self.skipped),
            "note": self.note,
        }

    def __str__(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed; "
            f"{self.chunks_embedded} chunks embedded, {self.chunks_reused} reused; "
            f"{len(self.errors)} errors; {self.seconds:.1f} s"
            + (f"\n{skipped_line(self.skipped)}" if self.skipped else "")
            + (f"\n{self.note}" if self.note else "")
        )


def merge_summaries(summaries: Sequence[AddSummary]) -> AddSummary:
    """One summary for updates applied one after another (``seconds`` added up)."""

    def joined(name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(x for s in summaries for x in getattr(s, name)))

    notes = [s.note for s in summaries if s.note]
    return AddSummary(
        added=joined("added"),
        updated=joined("updated"),
        unchanged=joined("unchanged"),
        removed=joined("removed"),
        chunks_embedded=sum(s.chunks_embedded for s in summaries),
        chunks_reused=sum(s.chunks_reused for s in summaries),
        errors=tuple(e for s in summaries for e in s.errors),
        seconds=sum(s.seconds for s in summaries),
        skipped=joined("skipped"),
        note=notes[0] if notes else None,
    )


@dataclass(frozen=True)
class Update:
    """Cleaned, chunked and embedded documents, ready to be applied to the store."""

    records: tuple[DocumentRecord, ...]
    removed: tuple[str, ...]
    summary: AddSummary
    recipe: Mapping[str, int]


def recipe_change(before: Mapping[str, int], after: Mapping[str, int]) -> str | None:
    """A line saying how the recipe (``pipeline.recipe``) changed, or None when it did not
    (or the index predates recorded recipes)."""
    if not before or dict(before) == dict(after):
        return None
    changes = ", ".join(
        f"{key} {before.get(key)} -> {after.get(key)}"
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    )
    return (
        f"indexing changed since the last update ({changes}): documents read again are "
        "re-chunked; text that did not change reuses its cached embeddings"
    )


def plan_update(
    store: Index,
    encoder: Encoder,
    documents: Sequence[Document],
    *,
    settings: Settings,
    scan: Scan | None = None,
    hashes: Mapping[str, str] | None = None,
    remove: Sequence[str] = (),
    errors: Sequence[IngestError] = (),
    progress: Progress | None = None,
) -> Update:
    """Do the slow work of an update without changing what searches see.

    Books are completed with their indexed pages first (see ``books.assemble``); ``scan`` says
    which folders were read whole, so that what vanished from them is removed; ``remove``
    lists more doc ids to drop. ``hashes`` holds the content hashes of ``documents`` where
    the caller has them (a streamed update computed them as it spooled); a book completed from
    the index is hashed as completed. Only documents whose content hash changed are cleaned
    and chunked; of their chunks, only texts missing from the embedding cache are encoded.
    """
    started = time.perf_counter()
    chunking = recipe(settings)
    known = store.document_hashes()
    # A hash the caller computed holds for a document as given, not for one that ``combine``
    # or ``assemble`` rebuilt (a book joined or completed): that one is hashed as rebuilt.
    given = {id(doc) for doc in documents}
    documents, vanished = assemble(store, combine(documents), scan or Scan())
    loaded = {doc.id: doc for doc in documents}
    digests = {
        doc.id: hashes[doc.id]
        if hashes is not None and doc.id in hashes and id(doc) in given
        else content_hash(doc, chunking)
        for doc in documents
    }
    changed = [doc for doc in documents if known.get(doc.id) != digests[doc.id]]
    unchanged = tuple(doc.id for doc in documents if known.get(doc.id) == digests[doc.id])
    removed = tuple(
        d for d in dict.fromkeys([*remove, *vanished]) if d in known and d not in digests
    )

    prepared, too_big = _prepare(changed, settings, progress)
    changed = [doc for doc, _ in prepared]
    planned = [
        (doc, tuple(StoredChunk(c, embed_key(dense_text(c))) for c in chunks))
        for doc, chunks in prepared
    ]
    embedded, reused = _embed_missing(
        store,
        encoder,
        [s for _, ss in planned for s in ss],
        progress,
        answer_vectors=settings.answer_vectors,
    )
    records = tuple(
        _record(doc, stored, digests[doc.id], loaded[doc.id]) for doc, stored in planned
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
        note=recipe_change(store.recipe, chunking) if changed else None,
    )
    return Update(records, removed, summary, chunking)


def _record(
    doc: Document, stored: tuple[StoredChunk, ...], digest: str, loaded: Document
) -> DocumentRecord:
    """What the index keeps of cleaned ``doc``; a book keeps its pages as ``loaded`` too."""
    return DocumentRecord(
        doc_id=doc.id,
        title=doc.title,
        source=doc.source,
        origin=doc.origin,
        content_hash=digest,
        page_count=doc.page_count,
        chunks=stored,
        pages=doc.pages or (),
        book_pages=(loaded.pages or ()) if loaded.is_book else (),
    )


def apply_update(
    index: Index,
    update: Update,
    *,
    exclusive: AbstractContextManager[object] | None = None,
    publish: bool = True,
) -> None:
    """Commit ``update`` to ``index``; only the switch to the new state runs inside
    ``exclusive`` (the caller's lock against concurrent searches). Without ``publish`` the
    index may leave its derived search files to a later commit (see ``Index.commit``)."""
    index.commit(
        update.records, update.removed, update.recipe, exclusive or nullcontext(), publish=publish
    )


def _prepare(
    documents: Sequence[Document],
    settings: Settings,
    progress: Progress | None,
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
    store: Index,
    encoder: Encoder,
    stored: Sequence[StoredChunk],
    progress: Progress | None,
    *,
    answer_vectors: bool,
) -> tuple[int, int]:
    """Embed the chunks' texts (and with ``answer_vectors`` their quotable sentences) that
    the store does not hold yet; returns how many chunks were embedded and reused."""
    texts_by_key = {s.embed_key: dense_text(s.chunk) for s in stored}
    if answer_vectors:
        for s in stored:
            texts_by_key.update((embed_key(text), text) for text in answer_texts(s.chunk))
    cached = store.stored_vectors(texts_by_key)
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
        store.store_vectors(keys, vectors)
        done += len(keys)
        if progress is not None:
            progress("embedding", done, total)
    return len({s.embed_key for s in stored} & missing_keys), reused
