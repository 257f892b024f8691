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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.atomic import atomic_write_text
from embeddings.cache import EmbeddingCache
from embeddings.vector_index import VectorIndex
from qa.errors import IndexError_, ModelMismatchError
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
    embed_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, position);
CREATE TABLE IF NOT EXISTS pages (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    number INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (doc_id, number)
);
"""


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


def vector_id(chunk_id: str) -> int:
    """FAISS wants int64 ids; the first 60 bits of the chunk's hex id keep them positive."""
    return int(chunk_id[:15], 16)


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    source: str | None
    pages: int
    chunks: int
    content_hash: str

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
    """What the store keeps of one document; ``origin`` is the absolute path it was read from."""

    doc_id: str
    title: str
    source: str | None
    origin: str | None
    content_hash: str
    page_count: int
    chunks: tuple[StoredChunk, ...]
    pages: tuple[Page, ...] = ()


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
    """One index folder. Cheap constructor; ``open`` reads or creates it."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._db: sqlite3.Connection | None = None
        self.cache: EmbeddingCache | None = None
        self.vectors: VectorIndex | None = None
        self.lexical: LexicalIndex | None = None
        self.manifest: Manifest | None = None
        self._chunks: dict[int, Chunk] = {}
        self._doc_vector_ids: dict[str, np.ndarray] = {}

    # ----------------------------------------------------------------- opening
    def open(self, model_fingerprint: str, dimension: int) -> IndexStore:
        self.folder.mkdir(parents=True, exist_ok=True)
        manifest_path = self.folder / MANIFEST
        if manifest_path.exists():
            try:
                manifest = Manifest.from_json(manifest_path.read_text())
            except (ValueError, KeyError, TypeError) as exc:
                raise IndexError_(
                    f"{manifest_path} is unreadable ({exc}); rebuild the index"
                ) from exc
            if manifest.format_version != FORMAT_VERSION:
                raise IndexError_(
                    f"{self.folder} has index format {manifest.format_version}, this version reads "
                    f"{FORMAT_VERSION}; rebuild it with `citeqa index PATH --index {self.folder}` "
                    "into an empty folder"
                )
            if manifest.model_fingerprint != model_fingerprint:
                raise ModelMismatchError(
                    f"{self.folder} was built with model {manifest.model_fingerprint!r} but the "
                    f"current model is {model_fingerprint!r}. Open it with the same model, or "
                    "rebuild: delete the folder (or pick a new --index) and run `citeqa index`."
                )
            self.manifest = manifest
        self._db = sqlite3.connect(self.folder / DATABASE, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._db.commit()
        stored_fp = self._meta("model_fingerprint")
        if stored_fp is None:
            self._set_meta("model_fingerprint", model_fingerprint)
            self._set_meta("dimension", str(dimension))
            self._set_meta("generation", "0")
            self._db.commit()
        elif stored_fp != model_fingerprint:
            raise ModelMismatchError(
                f"{self.folder} holds embeddings of model {stored_fp!r}, not "
                f"{model_fingerprint!r}; rebuild the index with `citeqa index` into a new folder."
            )
        self.cache = EmbeddingCache(self.folder / CACHE)
        self._load_chunks()
        self._load_or_rebuild_snapshots(model_fingerprint, dimension)
        return self

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self.cache is not None:
            self.cache.close()
            self.cache = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise IndexError_("the index store is not open")
        return self._db

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self._meta("generation") or 0)

    def _load_chunks(self) -> None:
        rows = self.db.execute(
            "SELECT vector_id, id, doc_id, title, pages, section, text, source FROM chunks "
            "ORDER BY doc_id, position"
        ).fetchall()
        self._chunks = {}
        by_doc: dict[str, list[int]] = {}
        for vid, cid, doc_id, title, pages, section, text, source in rows:
            self._chunks[vid] = Chunk(
                cid, doc_id, title, tuple(json.loads(pages)), section, text, source
            )
            by_doc.setdefault(doc_id, []).append(vid)
        self._doc_vector_ids = {d: np.asarray(v, dtype=np.int64) for d, v in by_doc.items()}

    def _snapshot_paths(self, generation: int) -> tuple[Path, Path]:
        return self.folder / f"vectors-{generation}.faiss", self.folder / f"bm25-{generation}"

    def _load_or_rebuild_snapshots(self, fingerprint: str, dimension: int) -> None:
        generation = self.generation
        faiss_path, bm25_path = self._snapshot_paths(generation)
        manifest = self.manifest
        if (
            manifest is not None
            and manifest.generation == generation
            and faiss_path.exists()
            and (bm25_path.exists() or not self._chunks)
        ):
            try:
                self.vectors = VectorIndex.load(faiss_path)
                self.lexical = LexicalIndex.load(bm25_path) if self._chunks else LexicalIndex()
            except (OSError, ValueError, RuntimeError) as exc:
                # Derived files only: SQLite and the embedding cache can always remake them.
                logger.warning("index search files unreadable (%s); rebuilding", exc)
            else:
                if len(self.vectors) == len(self._chunks) == manifest.vectors:
                    return
                logger.warning("index snapshot counts disagree with the chunk table; rebuilding")
        elif manifest is not None or self._chunks:
            logger.warning(
                "index folder %s was interrupted after generation %s; rebuilding search files",
                self.folder,
                manifest.generation if manifest else None,
            )
        self.rebuild_snapshots(fingerprint, dimension)

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
            "SELECT d.doc_id, d.title, d.source, d.page_count, d.content_hash, COUNT(c.vector_id) "
            "FROM documents d LEFT JOIN chunks c ON c.doc_id = d.doc_id "
            "GROUP BY d.doc_id ORDER BY d.title, d.doc_id"
        ).fetchall()
        return [
            DocumentInfo(doc_id, title, source, pages, count, content_hash)
            for doc_id, title, source, pages, content_hash, count in rows
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
        return ()

    def document_hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT doc_id, content_hash FROM documents").fetchall())

    def document_origins(self) -> dict[str, str | None]:
        return dict(self.db.execute("SELECT doc_id, origin FROM documents").fetchall())

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
                    "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                        )
                        for position, s in enumerate(record.chunks)
                    ],
                )
                db.executemany(
                    "INSERT OR REPLACE INTO pages VALUES (?, ?, ?)",
                    [(doc_id, page.number, page.text) for page in record.pages],
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

    def rebuild_snapshots(self, fingerprint: str, dimension: int) -> None:
        self.vectors = VectorIndex(dimension)
        ids = sorted(self._chunks)
        if ids:
            keys_by_chunk = self.embed_keys()
            keys = [keys_by_chunk[self._chunks[v].id] for v in ids]
            self.vectors.add(np.asarray(ids, dtype=np.int64), self._vectors_for(keys))
        self.lexical = _lexical_over(list(self._chunks.values()))
        self.publish(fingerprint, dimension)

    def _vectors_for(self, keys: Sequence[str]) -> np.ndarray:
        """(len(keys), dim) float32 cached vectors for the embedded-text ``keys``, in order."""
        assert self.cache is not None
        fingerprint = self._meta("model_fingerprint") or ""
        found = self.cache.get_many(fingerprint, list(dict.fromkeys(keys)))
        missing = [k for k in keys if k not in found]
        if missing:
            raise IndexError_(
                f"{len(missing)} embeddings are missing from {self.folder / CACHE}; "
                "rebuild the index with `citeqa index` into a new folder"
            )
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def publish(self, fingerprint: str, dimension: int) -> None:
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
            model_fingerprint=fingerprint,
            dimension=dimension,
            metric="inner_product",
            generation=generation,
            documents=documents,
            chunks=len(self._chunks),
            vectors=len(self.vectors),
        )
        atomic_write_text(self.folder / MANIFEST, self.manifest.to_json())
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
        """Raise ``IndexError_`` unless FAISS, SQLite and the manifest agree on the counts."""
        stored = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        vectors = len(self.vectors) if self.vectors is not None else -1
        manifest = self.manifest.vectors if self.manifest is not None else -1
        if not stored == vectors == manifest == len(self._chunks):
            raise IndexError_(
                f"index counts disagree: sqlite={stored} faiss={vectors} manifest={manifest}"
            )
