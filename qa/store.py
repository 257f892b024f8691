"""The index folder: chunks and documents in SQLite, derived FAISS and BM25 files, a manifest.

SQLite is the single source of truth and is changed in transactions. The FAISS file and the
BM25 folder are derived snapshots named by a generation number; the manifest, written last and
atomically, names the generation they belong to. A process killed at any point therefore leaves
either the previous manifest (its snapshots are still on disk) or a SQLite generation ahead of
the manifest, in which case opening rebuilds the snapshots from SQLite and the embedding cache.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from embeddings.atomic import atomic_write_text
from embeddings.cache import EmbeddingCache
from embeddings.vector_index import VectorIndex
from qa.errors import IndexBusy, IndexCorrupt, IndexNotFound, ModelMismatch
from qa.retrieval.fields import lexical_text
from qa.retrieval.lexical import LexicalIndex
from qa.types import Chunk, Page

logger = logging.getLogger(__name__)

_SPACE = re.compile(r"\s+")
_HEADING_MARK = re.compile(r"^#+\s*", re.MULTILINE)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "chunks.sqlite"
CACHE = "embeddings.sqlite"
# The encoder's converted model (embeddings.model_cache); written before the index itself.
MODELS = "models"
# Held by a process for a whole update, so that writers in other processes queue up.
WRITE_LOCK = "write.lock"
# Held from the SQLite commit until the manifest names the new snapshots: a process opening
# the folder in that window waits on it instead of taking the folder for a crashed one.
PUBLISH_LOCK = "publish.lock"
LOCKS = (WRITE_LOCK, PUBLISH_LOCK)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT,
    origin TEXT,
    content_hash TEXT NOT NULL,
    page_count INTEGER NOT NULL,
    added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    vector_id INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    pages TEXT NOT NULL,
    section TEXT,
    text TEXT NOT NULL,
    source TEXT,
    embed_key TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'paragraph',
    label TEXT,
    notes TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, position);
CREATE TABLE IF NOT EXISTS pages (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    number INTEGER NOT NULL,
    text TEXT NOT NULL,
    raw TEXT,
    origin TEXT,
    PRIMARY KEY (doc_id, number)
);
"""
# Columns added after the first release; older folders gain them (empty) when opened.
_PAGE_COLUMNS = ("raw", "origin")


_BLOCK_COLUMNS = (
    ("kind", "TEXT NOT NULL DEFAULT 'paragraph'"),
    ("label", "TEXT"),
    ("notes", "TEXT NOT NULL DEFAULT '[]'"),
)


def squash(text: str) -> str:
    """Text reduced for matching a quote against a page: no heading marks, no spacing, no case.

    All whitespace goes, not just runs of it: a page keeps ``bio-\\nthreats`` where the
    paragraph (and so the quote) reads ``bio-threats``.
    """
    return _SPACE.sub("", _HEADING_MARK.sub("", text)).casefold()


def _lexical_over(chunks: Sequence[Chunk]) -> LexicalIndex:
    lexical = LexicalIndex()
    if chunks:
        lexical.build([c.id for c in chunks], [lexical_text(c) for c in chunks])
    return lexical


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is replaced (inode, mtime, size); None when it is missing."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def vector_id(chunk_id: str) -> int:
    """FAISS wants int64 ids; the first 60 bits of the chunk's hex id keep them positive."""
    return int(chunk_id[:15], 16)


@dataclass(frozen=True)
class DocumentInfo:
    """An indexed document as listed to users; ``origin`` (the absolute path it was read
    from, None for books and in-memory documents) stays on the server."""

    doc_id: str
    title: str
    source: str | None
    pages: int
    chunks: int
    content_hash: str
    origin: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "source": self.source,
            "pages": self.pages,
            "chunks": self.chunks,
        }


@dataclass(frozen=True)
class StoredChunk:
    """A chunk with the key of the exact text that was embedded for it."""

    chunk: Chunk
    embed_key: str


@dataclass(frozen=True)
class DocumentRecord:
    """What the store keeps of one document; ``origin`` is the absolute path it was read from.

    ``pages`` are the cleaned pages (quotes are matched against them). A book also keeps
    ``book_pages``, its pages as loaded with the file each came from, so that pages added
    later are cleaned and chunked together with these.
    """

    doc_id: str
    title: str
    source: str | None
    origin: str | None
    content_hash: str
    page_count: int
    chunks: tuple[StoredChunk, ...]
    pages: tuple[Page, ...] = ()
    book_pages: tuple[Page, ...] = ()


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model_fingerprint: str
    dimension: int
    metric: str
    generation: int
    documents: int
    chunks: int
    vectors: int

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


class IndexStore:
    """One index folder. Cheap constructor; ``open`` reads it (or creates it)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._db: sqlite3.Connection | None = None
        self.cache: EmbeddingCache | None = None
        self.vectors: VectorIndex | None = None
        self.lexical: LexicalIndex | None = None
        self.manifest: Manifest | None = None
        self._manifest_stamp: tuple[int, int, int] | None = None
        self._chunks: dict[int, Chunk] = {}
        self._doc_vector_ids: dict[str, np.ndarray] = {}
        self._fingerprint = ""
        self._dimension = 0

    # ----------------------------------------------------------------- opening
    def open(self, model_fingerprint: str, dimension: int, *, create: bool = True) -> IndexStore:
        """Read the folder; with ``create``, make an empty index where there is none.

        Raises ``IndexNotFound`` when there is no index (and ``create`` is off) or the path is
        not a folder that can hold one; ``ModelMismatch`` when it was built with another model.
        """
        self._fingerprint, self._dimension = model_fingerprint, dimension
        self.check_folder(create=create)
        self.folder.mkdir(parents=True, exist_ok=True)
        manifest = self._read_manifest()
        if manifest is not None:
            if manifest.format_version != FORMAT_VERSION:
                raise IndexCorrupt(
                    f"{self.folder} has index format {manifest.format_version}, this version reads "
                    f"{FORMAT_VERSION}; rebuild it with `citeqa index PATH --index {self.folder}` "
                    "into an empty folder"
                )
            if manifest.model_fingerprint != model_fingerprint:
                raise ModelMismatch(
                    f"{self.folder} was built with model {manifest.model_fingerprint!r} but the "
                    f"current model is {model_fingerprint!r}. Open it with the same model, or "
                    "rebuild: delete the folder (or pick a new --index) and run `citeqa index`."
                )
            self.manifest = manifest
        self._db = sqlite3.connect(self.folder / DATABASE, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._add_missing_columns()
        self._add_block_columns()
        self._db.commit()
        stored_fp = self._meta("model_fingerprint")
        if stored_fp is None:
            self._set_meta("model_fingerprint", model_fingerprint)
            self._set_meta("dimension", str(dimension))
            self._set_meta("generation", "0")
            self._db.commit()
        elif stored_fp != model_fingerprint:
            raise ModelMismatch(
                f"{self.folder} holds embeddings of model {stored_fp!r}, not "
                f"{model_fingerprint!r}; rebuild the index with `citeqa index` into a new folder."
            )
        self.cache = EmbeddingCache(self.folder / CACHE)
        self._load()
        return self

    def check_folder(self, *, create: bool) -> None:
        """Raise ``IndexNotFound`` unless the folder holds an index, or (``create``) can hold
        a new one; creates nothing, so callers can check before loading a model."""
        folder = self.folder
        if folder.exists() and not folder.is_dir():
            raise IndexNotFound(f"{folder} is a file, not an index folder")
        holds_index = any((folder / name).exists() for name in (DATABASE, MANIFEST, CACHE))
        if holds_index:
            return
        if not create:
            raise IndexNotFound(
                f"no index at {folder}; build one with `citeqa index PATH --index {folder}`"
            )
        if folder.is_dir() and any(path.name != MODELS for path in folder.iterdir()):
            raise IndexNotFound(
                f"{folder} is not an index folder (it holds other files); "
                "choose a new or empty folder for the index"
            )

    def _add_missing_columns(self) -> None:
        present = {row[1] for row in self.db.execute("PRAGMA table_info(pages)")}
        for column in _PAGE_COLUMNS:
            if column not in present:
                self.db.execute(f"ALTER TABLE pages ADD COLUMN {column} TEXT")

    def _read_manifest(self) -> Manifest | None:
        path = self.folder / MANIFEST
        stamp = _stamp(path)
        try:
            text = path.read_text()
        except FileNotFoundError:
            return None
        try:
            manifest = Manifest.from_json(text)
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexCorrupt(f"{path} is unreadable ({exc}); rebuild the index") from exc
        self._manifest_stamp = stamp
        return manifest

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self.cache is not None:
            self.cache.close()
            self.cache = None

    def _add_block_columns(self) -> None:
        """Indexes written before chunks had kinds get the columns (their chunks are prose)."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(chunks)")}
        for name, declaration in _BLOCK_COLUMNS:
            if name not in have:
                self._db.execute(f"ALTER TABLE chunks ADD COLUMN {name} {declaration}")

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise IndexCorrupt("the index store is not open")
        return self._db

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self._meta("generation") or 0)

    def _load(self) -> None:
        """Read the chunk table and the snapshots the manifest names (remade if they are stale).

        SQLite ahead of the manifest means an update was committed but not yet published:
        either its writer is still at work (then wait for it to publish) or it died (then
        remake the snapshots from SQLite, as it would have).
        """
        published = self.manifest.generation if self.manifest is not None else 0
        if published == self.generation:
            self._load_chunks()
            if not self._load_snapshots():
                if self.manifest is not None:
                    logger.warning("index search files of %s are unusable; rebuilding", self.folder)
                self.rebuild_snapshots()
            return
        with self._publish_lock():
            self.manifest = self._read_manifest()
            self._load_chunks()
            if not self._load_snapshots():
                logger.warning(
                    "index folder %s was interrupted after generation %s; rebuilding search files",
                    self.folder,
                    self.manifest.generation if self.manifest else None,
                )
                self.rebuild_snapshots()

    def _load_chunks(self) -> None:
        rows = self.db.execute(
            "SELECT vector_id, id, doc_id, title, pages, section, text, source, kind, label, "
            "notes FROM chunks ORDER BY doc_id, position"
        ).fetchall()
        self._chunks = {}
        by_doc: dict[str, list[int]] = {}
        for vid, cid, doc_id, title, pages, section, text, source, kind, label, notes in rows:
            self._chunks[vid] = Chunk(
                cid,
                doc_id,
                title,
                tuple(json.loads(pages)),
                section,
                text,
                source,
                kind,
                label,
                tuple(json.loads(notes)),
            )
            by_doc.setdefault(doc_id, []).append(vid)
        self._doc_vector_ids = {d: np.asarray(v, dtype=np.int64) for d, v in by_doc.items()}

    def _snapshot_paths(self, generation: int) -> tuple[Path, Path]:
        return self.folder / f"vectors-{generation}.faiss", self.folder / f"bm25-{generation}"

    def _load_snapshots(self) -> bool:
        """Load the snapshots the manifest names; False when they are missing or disagree."""
        manifest = self.manifest
        if manifest is None or manifest.generation != self.generation:
            return False
        faiss_path, bm25_path = self._snapshot_paths(manifest.generation)
        if not faiss_path.exists() or not (bm25_path.exists() or not self._chunks):
            return False
        try:
            vectors = VectorIndex.load(faiss_path)
            lexical = LexicalIndex.load(bm25_path) if self._chunks else LexicalIndex()
        except (OSError, ValueError, RuntimeError) as exc:
            # Derived files only: SQLite and the embedding cache can always remake them.
            logger.warning("index search files unreadable (%s); rebuilding", exc)
            return False
        if not len(vectors) == len(self._chunks) == manifest.vectors:
            logger.warning("index snapshot counts disagree with the chunk table; rebuilding")
            return False
        self.vectors, self.lexical = vectors, lexical
        return True

    # ------------------------------------------------------- other processes
    @contextmanager
    def writing(self, *, wait: bool = True) -> Iterator[None]:
        """Hold the folder's writer lock for an update; other processes' writers queue up.

        Without ``wait``, raise ``IndexBusy`` at once when another process holds it.
        """
        lock = FileLock(self.folder / WRITE_LOCK)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if not wait:
                raise IndexBusy(
                    f"another process is writing to {self.folder}; try again when it is done"
                ) from None
            logger.warning("another process is writing to %s; waiting for it", self.folder)
            lock.acquire()
        try:
            yield
        finally:
            lock.release()

    def _publish_lock(self) -> FileLock:
        return FileLock(self.folder / PUBLISH_LOCK)

    @contextmanager
    def publishing(self) -> Iterator[None]:
        """Hold the publish lock from a commit (``apply``) until ``publish`` has run."""
        with self._publish_lock():
            yield

    def changed_on_disk(self) -> bool:
        """Whether another process published a new generation since this view was loaded.

        Costs one ``stat``: call it before every search.
        """
        stamp = _stamp(self.folder / MANIFEST)
        return stamp is not None and stamp != self._manifest_stamp

    def reload(self) -> bool:
        """Catch up with the generation on disk; False (view unchanged) if that fails for now.

        The caller keeps searches out while this runs.
        """
        manifest = self._read_manifest()
        if manifest is None or manifest == self.manifest:
            return False
        if manifest.generation != self.generation:
            return False  # its writer has committed the next one; catch up once published
        previous = (self.manifest, self._chunks, self._doc_vector_ids, self.vectors, self.lexical)
        self.manifest = manifest
        self._load_chunks()
        if self._load_snapshots():
            logger.info("index %s: now at generation %d", self.folder, manifest.generation)
            return True
        # Superseded while we read it; the next search tries again.
        self.manifest, self._chunks, self._doc_vector_ids, self.vectors, self.lexical = previous
        self._manifest_stamp = None
        return False

    # ----------------------------------------------------------------- reading
    def chunk(self, vid: int) -> Chunk:
        return self._chunks[vid]

    def chunks(self) -> list[Chunk]:
        return list(self._chunks.values())

    def __len__(self) -> int:
        return len(self._chunks)

    def vector_ids_for(self, doc_ids: Iterable[str]) -> np.ndarray:
        arrays = [self._doc_vector_ids[d] for d in doc_ids if d in self._doc_vector_ids]
        return np.concatenate(arrays) if arrays else np.empty(0, dtype=np.int64)

    def chunk_ids_for(self, doc_ids: Iterable[str]) -> set[str]:
        return {self._chunks[int(v)].id for v in self.vector_ids_for(doc_ids)}

    def documents(self) -> list[DocumentInfo]:
        rows = self.db.execute(
            "SELECT d.doc_id, d.title, d.source, d.page_count, d.content_hash, "
            "COUNT(c.vector_id), d.origin "
            "FROM documents d LEFT JOIN chunks c ON c.doc_id = d.doc_id "
            "GROUP BY d.doc_id ORDER BY d.title, d.doc_id"
        ).fetchall()
        return [
            DocumentInfo(doc_id, title, source, pages, count, content_hash, origin)
            for doc_id, title, source, pages, content_hash, count, origin in rows
        ]

    def page_text(self, doc_id: str, numbers: Sequence[int]) -> str | None:
        """The cleaned text of the given pages joined in order, or None if any is missing."""
        rows = self.db.execute(
            f"SELECT number, text FROM pages WHERE doc_id = ? AND number IN "
            f"({','.join('?' * len(numbers))}) ORDER BY number",
            (doc_id, *numbers),
        ).fetchall()
        if len(rows) != len(set(numbers)):
            return None
        return "\n".join(text for _, text in rows)

    def page_numbers(self, doc_id: str) -> list[int]:
        """The numbers of the stored pages of ``doc_id``, in order (empty without pages)."""
        rows = self.db.execute(
            "SELECT number FROM pages WHERE doc_id = ? ORDER BY number", (doc_id,)
        ).fetchall()
        return [number for (number,) in rows]

    def updated_at(self) -> float | None:
        """When a document was last added or replaced (seconds since the epoch), or None."""
        return self.db.execute("SELECT MAX(added_at) FROM documents").fetchone()[0]

    def quote_pages(self, doc_id: str, pages: Sequence[int], quote: str) -> tuple[int, ...]:
        """The pages among ``pages`` whose cleaned text holds ``quote``.

        A quote wholly on one page gives that page; one running across a page break gives
        both; () when the stored pages do not hold it (or the document has no pages).
        """
        wanted = squash(quote)
        for page in pages:
            text = self.page_text(doc_id, [page])
            if text is not None and wanted in squash(text):
                return (page,)
        for first, second in itertools.pairwise(pages):
            text = self.page_text(doc_id, [first, second])
            if text is not None and wanted in squash(text):
                return (first, second)
        if len(pages) > 2:
            text = self.page_text(doc_id, list(pages))
            if text is not None and wanted in squash(text):
                return tuple(pages)
        return ()

    def document_hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT doc_id, content_hash FROM documents").fetchall())

    def document_origins(self) -> dict[str, str | None]:
        return dict(self.db.execute("SELECT doc_id, origin FROM documents").fetchall())

    def document_titles(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT doc_id, title FROM documents").fetchall())

    def page_origins(self) -> dict[str, tuple[str, int]]:
        """Page file path -> (doc id, page number), for the pages of books."""
        rows = self.db.execute(
            "SELECT origin, doc_id, number FROM pages WHERE origin IS NOT NULL"
        ).fetchall()
        return {origin: (doc_id, number) for origin, doc_id, number in rows}

    def book_pages(self, doc_id: str) -> tuple[Page, ...]:
        """A book's pages as they were loaded, each with the file it came from, in order.

        Pages stored before books were kept this way come back cleaned and without a file.
        """
        rows = self.db.execute(
            "SELECT number, COALESCE(raw, text), origin FROM pages WHERE doc_id = ? "
            "ORDER BY number",
            (doc_id,),
        ).fetchall()
        return tuple(Page(number, text, origin) for number, text, origin in rows)

    def embed_keys(self) -> dict[str, str]:
        """chunk id -> key of the embedded text, for every stored chunk."""
        return dict(self.db.execute("SELECT id, embed_key FROM chunks").fetchall())

    # ----------------------------------------------------------------- writing
    def replace_documents(
        self, documents: Sequence[DocumentRecord], removed: Sequence[str] = ()
    ) -> None:
        """Write ``documents`` (replacing same ids) and drop ``removed`` in one transaction.

        Every chunk's vector must already be in the embedding cache under its ``embed_key``.
        """
        db = self.db
        with db:
            for doc_id in [*removed, *(r.doc_id for r in documents)]:
                db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
                db.execute("DELETE FROM pages WHERE doc_id = ?", (doc_id,))
                db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            for record in documents:
                doc_id = record.doc_id
                db.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        doc_id,
                        record.title,
                        record.source,
                        record.origin,
                        record.content_hash,
                        record.page_count,
                        time.time(),
                    ),
                )
                db.executemany(
                    "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            vector_id(s.chunk.id),
                            s.chunk.id,
                            doc_id,
                            position,
                            s.chunk.title,
                            json.dumps(list(s.chunk.pages)),
                            s.chunk.section,
                            s.chunk.text,
                            s.chunk.source,
                            s.embed_key,
                            s.chunk.kind,
                            s.chunk.block_label,
                            json.dumps(list(s.chunk.notes)),
                        )
                        for position, s in enumerate(record.chunks)
                    ],
                )
                loaded = {page.number: page for page in record.book_pages}
                db.executemany(
                    "INSERT OR REPLACE INTO pages (doc_id, number, text, raw, origin) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [
                        (
                            doc_id,
                            page.number,
                            page.text,
                            loaded[page.number].text if page.number in loaded else None,
                            loaded[page.number].origin if page.number in loaded else None,
                        )
                        for page in record.pages
                    ],
                )
            self._set_meta("generation", str(self.generation + 1))

    def next_lexical(
        self, records: Sequence[DocumentRecord], removed: Sequence[str] = ()
    ) -> LexicalIndex:
        """The BM25 index the store will hold once ``records`` and ``removed`` are applied.

        Changes nothing, so searches go on while it is built (the slow part of an update).
        """
        replaced = set(removed) | {r.doc_id for r in records}
        by_doc: dict[str, list[Chunk]] = {}
        for chunk in self._chunks.values():
            if chunk.doc_id not in replaced:
                by_doc.setdefault(chunk.doc_id, []).append(chunk)
        for record in records:
            by_doc[record.doc_id] = [s.chunk for s in record.chunks]
        # The same order a reopened store reads them in, so ties rank the same.
        return _lexical_over([c for doc_id in sorted(by_doc) for c in by_doc[doc_id]])

    def apply(
        self,
        records: Sequence[DocumentRecord],
        removed: Sequence[str],
        lexical: LexicalIndex,
    ) -> None:
        """Commit to SQLite, then switch the in-memory FAISS and BM25 views to the new state.

        ``lexical`` comes from ``next_lexical`` for the same records. Call ``publish`` next.
        """
        self.replace_documents(records, removed)
        assert self.vectors is not None
        # The records already hold every new chunk: update the in-memory view from them
        # rather than re-reading the whole chunk table while searches wait.
        replaced = [*removed, *(r.doc_id for r in records)]
        gone = self.vector_ids_for(replaced)
        for vid in gone.tolist():
            del self._chunks[vid]
        for doc_id in replaced:
            self._doc_vector_ids.pop(doc_id, None)
        added: list[int] = []
        keys: list[str] = []
        for record in records:
            vids = [vector_id(s.chunk.id) for s in record.chunks]
            self._chunks.update(zip(vids, (s.chunk for s in record.chunks), strict=True))
            self._doc_vector_ids[record.doc_id] = np.asarray(vids, dtype=np.int64)
            added.extend(vids)
            keys.extend(s.embed_key for s in record.chunks)
        if gone.size:
            self.vectors.remove(gone)
        if added:
            self.vectors.add(np.asarray(added, dtype=np.int64), self._vectors_for(keys))
        self.lexical = lexical

    def rebuild_snapshots(self) -> None:
        """Remake FAISS and BM25 from SQLite and the embedding cache, and publish them."""
        self.vectors = VectorIndex(self._dimension)
        ids = sorted(self._chunks)
        if ids:
            keys_by_chunk = self.embed_keys()
            keys = [keys_by_chunk[self._chunks[v].id] for v in ids]
            self.vectors.add(np.asarray(ids, dtype=np.int64), self._vectors_for(keys))
        self.lexical = _lexical_over(list(self._chunks.values()))
        self.publish()

    def _vectors_for(self, keys: Sequence[str]) -> np.ndarray:
        """(len(keys), dim) float32 cached vectors for the embedded-text ``keys``, in order."""
        assert self.cache is not None
        found = self.cache.get_many(self._fingerprint, list(dict.fromkeys(keys)))
        missing = [k for k in keys if k not in found]
        if missing:
            raise IndexCorrupt(
                f"{len(missing)} embeddings are missing from {self.folder / CACHE}; "
                "rebuild the index with `citeqa index` into a new folder"
            )
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def publish(self) -> None:
        """Write FAISS and BM25 snapshots of the current state, then the manifest naming them."""
        assert self.vectors is not None and self.lexical is not None
        generation = self.generation
        faiss_path, bm25_path = self._snapshot_paths(generation)
        self.vectors.save(faiss_path)
        if len(self.lexical):
            if bm25_path.exists():
                shutil.rmtree(bm25_path)
            self.lexical.save(bm25_path)
        documents = self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        self.manifest = Manifest(
            format_version=FORMAT_VERSION,
            model_fingerprint=self._fingerprint,
            dimension=self._dimension,
            metric="inner_product",
            generation=generation,
            documents=documents,
            chunks=len(self._chunks),
            vectors=len(self.vectors),
        )
        atomic_write_text(self.folder / MANIFEST, self.manifest.to_json())
        self._manifest_stamp = _stamp(self.folder / MANIFEST)
        self._remove_stale_snapshots(generation)

    def _remove_stale_snapshots(self, keep: int) -> None:
        for path in self.folder.glob("vectors-*.faiss"):
            if path.name != f"vectors-{keep}.faiss":
                path.unlink(missing_ok=True)
        for path in self.folder.glob("bm25-*"):
            if path.name != f"bm25-{keep}":
                shutil.rmtree(path, ignore_errors=True)
        # Hidden names are the temporary files and staging folders of the atomic writes; a
        # process killed mid-write leaves them behind, and none is in use once this runs.
        for pattern in (".vectors-*", ".bm25-*", f".{MANIFEST}.*"):
            for path in self.folder.glob(pattern):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)

    def check_integrity(self) -> None:
        """Raise ``IndexCorrupt`` unless FAISS, SQLite and the manifest agree on the counts."""
        stored = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        vectors = len(self.vectors) if self.vectors is not None else -1
        manifest = self.manifest.vectors if self.manifest is not None else -1
        if not stored == vectors == manifest == len(self._chunks):
            raise IndexCorrupt(
                f"index counts disagree: sqlite={stored} faiss={vectors} manifest={manifest}"
            )
