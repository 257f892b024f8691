"""The catalog: documents, their cleaned pages and chunks in SQLite, and the generation counter.

SQLite is the index folder's single source of truth and changes only in transactions; every
other file in the folder is derived from it and the embedding cache (see ``snapshots``).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from qa.errors import IndexCorrupt, ModelMismatch
from qa.index.folder.layout import private_file
from qa.index.records import DocumentInfo, DocumentRecord, StoredChunk, vector_id
from qa.types import Chunk, Page

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
    notes TEXT NOT NULL DEFAULT '[]',
    glossary TEXT NOT NULL DEFAULT '[]'
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
_ADDED_COLUMNS = {
    "pages": (("raw", "TEXT"), ("origin", "TEXT")),
    # Chunks written before chunks had kinds are prose.
    "chunks": (
        ("kind", "TEXT NOT NULL DEFAULT 'paragraph'"),
        ("label", "TEXT"),
        ("notes", "TEXT NOT NULL DEFAULT '[]'"),
        ("glossary", "TEXT NOT NULL DEFAULT '[]'"),
    ),
}


class Catalog:
    """The SQLite file of one index folder. Cheap constructor; ``open`` connects."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    def open(self, model_fingerprint: str, dimension: int) -> Catalog:
        """Connect, creating or upgrading the tables; ``ModelMismatch`` when the stored
        chunks were embedded by another model."""
        self._db = sqlite3.connect(private_file(self.path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        for table, columns in _ADDED_COLUMNS.items():
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for name, declaration in columns:
                if name not in have:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")
        stored = self.meta("model_fingerprint")
        if stored is None:
            self._set_meta("model_fingerprint", model_fingerprint)
            self._set_meta("dimension", str(dimension))
            self._set_meta("generation", "0")
        elif stored != model_fingerprint:
            raise ModelMismatch(
                f"{self.path.parent} holds embeddings of model {stored!r}, not "
                f"{model_fingerprint!r}; rebuild the index with `citeqa index` into a new folder."
            )
        self._db.commit()
        return self

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise IndexCorrupt("the index store is not open")
        return self._db

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        """Bumped by every committed update; the snapshots say which one they were made from."""
        return int(self.meta("generation") or 0)

    # ----------------------------------------------------------------- reading
    def chunks(self) -> dict[int, Chunk]:
        """Every chunk by vector id, in document order."""
        rows = self.db.execute(
            "SELECT vector_id, id, doc_id, title, pages, section, text, source, kind, label, "
            "notes, glossary FROM chunks ORDER BY doc_id, position"
        ).fetchall()
        return {
            vid: Chunk(
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
                tuple(json.loads(glossary)),
            )
            for (
                vid,
                cid,
                doc_id,
                title,
                pages,
                section,
                text,
                source,
                kind,
                label,
                notes,
                glossary,
            ) in rows
        }

    def chunk_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    def document_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def documents(self) -> list[DocumentInfo]:
        rows = self.db.execute(
            "SELECT d.doc_id, d.title, d.source, d.page_count, d.content_hash, "
            "COUNT(c.vector_id), d.origin, d.added_at "
            "FROM documents d LEFT JOIN chunks c ON c.doc_id = d.doc_id "
            "GROUP BY d.doc_id ORDER BY d.title, d.doc_id"
        ).fetchall()
        return [
            DocumentInfo(doc_id, title, source, pages, count, content_hash, origin, added_at)
            for doc_id, title, source, pages, content_hash, count, origin, added_at in rows
        ]

    def page_numbers(self, doc_id: str) -> list[int]:
        """The numbers of the stored pages of ``doc_id``, in order (empty without pages)."""
        rows = self.db.execute(
            "SELECT number FROM pages WHERE doc_id = ? ORDER BY number", (doc_id,)
        ).fetchall()
        return [number for (number,) in rows]

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
        """Write ``documents`` (replacing same ids) and drop ``removed`` in one transaction
        that also bumps the generation."""
        db = self.db
        with db:
            for doc_id in [*removed, *(r.doc_id for r in documents)]:
                for table in ("chunks", "pages", "documents"):
                    db.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))
            for record in documents:
                self._insert(record)
            self._set_meta("generation", str(self.generation + 1))

    def _insert(self, record: DocumentRecord) -> None:
        doc_id = record.doc_id
        self.db.execute(
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
        self.db.executemany(
            "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_chunk_row(doc_id, position, s) for position, s in enumerate(record.chunks)],
        )
        loaded = {page.number: page for page in record.book_pages}
        self.db.executemany(
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


def _chunk_row(doc_id: str, position: int, stored: StoredChunk) -> tuple[object, ...]:
    chunk = stored.chunk
    return (
        vector_id(chunk.id),
        chunk.id,
        doc_id,
        position,
        chunk.title,
        json.dumps(list(chunk.pages)),
        chunk.section,
        chunk.text,
        chunk.source,
        stored.embed_key,
        chunk.kind,
        chunk.block_label,
        json.dumps(list(chunk.notes)),
        json.dumps(list(chunk.glossary)),
    )
