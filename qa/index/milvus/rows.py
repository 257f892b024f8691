"""What documents, pages and chunks become as rows of the Milvus collections, and back.

Pure functions, no client. Every row carries the ``version`` of the update that wrote it and
its key starts with that version, so a new version of a document is written beside the old
one instead of over it (see ``qa.index.milvus.index`` for why).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.index.records import DocumentInfo, DocumentRecord, StoredChunk
from qa.text.fields import lexical_text
from qa.text.words import tokenize_for_bm25
from qa.types import Chunk

# Milvus's own limits: bytes in a VARCHAR value, elements in an ARRAY value.
MAX_VARCHAR_BYTES = 65_535
MAX_ARRAY = 4_096
# Collections that only hold data still need one vector field in Milvus.
DUMMY_DIM = 2
DUMMY_VECTOR = [0.0] * DUMMY_DIM
CHUNK_OUTPUT = ("id", "doc_id", "version", "title", "pages", "section", "source", "kind", "text")
PAGE_OUTPUT = ("number", "part", "text", "raw", "has_raw", "origin")

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def quote(value: str) -> str:
    """``value`` as a double-quoted string literal of a Milvus filter expression.

    Backslash, double quote and line breaks are escaped with the escapes both Milvus's
    expression parser and Milvus Lite's read back as the same characters, so a document id
    (user data) can never end the literal and change the expression.
    """
    return f'"{value.translate(_ESCAPES)}"'


def doc_filter(doc_ids: Iterable[str]) -> str:
    """``doc_id in ["a", "b"]`` with every id quoted."""
    return f"doc_id in [{', '.join(quote(d) for d in doc_ids)}]"


def lexical_terms(text: str) -> str:
    """citeqa's BM25 tokens of ``text`` (stop words out, spelling evened, stemmed) in one line.

    Milvus analyses the field again with its ``standard`` tokenizer, which splits at every
    character that is not a word character. The decimal point of a figure ("46.7") is the
    only such character in citeqa's tokens: it becomes ``_`` so the figure stays one term.
    Indexing this instead of the raw text keeps BM25 in Milvus reading the same terms as the
    folder backend's BM25 (stemming and British/American spelling included), which Milvus
    Lite's analyzer cannot do.
    """
    return " ".join(token.replace(".", "_") for token in tokenize_for_bm25([text])[0])


def doc_key(doc_id: str) -> str:
    """A short fixed-length stand-in for a document id inside row keys."""
    return hashlib.sha1(doc_id.encode()).hexdigest()[:16]


def split_utf8(text: str, limit: int = MAX_VARCHAR_BYTES) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` UTF-8 bytes, never inside a character.

    Always at least one piece (``[""]`` for empty text); joining the pieces gives ``text``.
    """
    data = text.encode()
    pieces = []
    start = 0
    while len(data) - start > limit:
        end = start + limit
        # Continuation bytes look like 0b10xxxxxx; back up to the start of a character.
        while data[end] & 0xC0 == 0x80:
            end -= 1
        pieces.append(data[start:end].decode())
        start = end
    pieces.append(data[start:].decode())
    return pieces


def _too_long(value: str | None) -> bool:
    return value is not None and len(value.encode()) > MAX_VARCHAR_BYTES


def check_records(
    records: Sequence[DocumentRecord], vectors: Mapping[str, np.ndarray], dimension: int
) -> None:
    """``ValueError`` naming the first value Milvus could not store, before anything is written.

    Checks the byte limits of the text fields, the page count of each chunk, and that every
    chunk's vector is given (by embed key), finite and ``dimension`` long.
    """
    for record in records:
        where = f"document {record.doc_id!r}"
        for name in ("doc_id", "title", "source", "origin", "content_hash"):
            if _too_long(getattr(record, name)):
                raise ValueError(f"{where}: {name} is over {MAX_VARCHAR_BYTES} bytes")
        for stored in record.chunks:
            chunk = stored.chunk
            for name, value in (
                ("text", chunk.text),
                ("section", chunk.section),
                ("BM25 text", lexical_text(chunk)),
            ):
                if _too_long(value):
                    raise ValueError(
                        f"{where}: chunk {chunk.id} {name} is over {MAX_VARCHAR_BYTES} bytes"
                    )
            if len(chunk.pages) > MAX_ARRAY:
                raise ValueError(f"{where}: chunk {chunk.id} spans over {MAX_ARRAY} pages")
            vector = vectors.get(stored.embed_key)
            if vector is None:
                raise ValueError(f"{where}: no vector for embed key {stored.embed_key}")
            shape = np.shape(vector)
            if shape != (dimension,) or not np.isfinite(vector).all():
                raise ValueError(
                    f"{where}: the vector for embed key {stored.embed_key} must be {dimension} "
                    f"finite numbers, got shape {shape}"
                )


def document_row(record: DocumentRecord, version: str, added_at: float) -> dict[str, Any]:
    return {
        "doc_id": record.doc_id,
        "version": version,
        "title": record.title,
        "source": record.source,
        "origin": record.origin,
        "content_hash": record.content_hash,
        "page_count": record.page_count,
        "chunks": len(record.chunks),
        "added_at": added_at,
        "dummy": DUMMY_VECTOR,
    }


def document_info(row: Mapping[str, Any]) -> DocumentInfo:
    return DocumentInfo(
        doc_id=row["doc_id"],
        title=row["title"],
        source=row["source"],
        pages=int(row["page_count"]),
        chunks=int(row["chunks"]),
        content_hash=row["content_hash"],
        origin=row["origin"],
        added_at=row.get("added_at"),
    )


def chunk_rows(
    record: DocumentRecord, version: str, vectors: Mapping[str, np.ndarray]
) -> Iterator[dict[str, Any]]:
    """The chunk rows of ``record`` in document order (``position`` counts from 0)."""
    for position, stored in enumerate(record.chunks):
        yield _chunk_row(stored, record.doc_id, version, position, vectors[stored.embed_key])


def _chunk_row(
    stored: StoredChunk, doc_id: str, version: str, position: int, vector: np.ndarray
) -> dict[str, Any]:
    chunk = stored.chunk
    return {
        "key": f"{version}/{chunk.id}",
        "id": chunk.id,
        "doc_id": doc_id,
        "version": version,
        "position": position,
        "title": chunk.title,
        "pages": list(chunk.pages),
        "section": chunk.section,
        "source": chunk.source,
        "kind": chunk.kind,
        "embed_key": stored.embed_key,
        "lexical": lexical_terms(lexical_text(chunk)),
        "text": chunk.text,
        "vector": np.asarray(vector, dtype=np.float32).tolist(),
    }


def chunk_from_row(row: Mapping[str, Any]) -> Chunk:
    """The chunk a row holds."""
    return Chunk(
        id=row["id"],
        doc_id=row["doc_id"],
        title=row["title"],
        pages=tuple(int(p) for p in row["pages"] or ()),
        section=row["section"],
        text=row["text"],
        source=row["source"],
        kind=row["kind"],
    )


def page_rows(record: DocumentRecord, version: str) -> Iterator[dict[str, Any]]:
    """Rows for the cleaned pages of ``record``; a book page also keeps its loaded text
    (``raw``) and file. A page over Milvus's VARCHAR limit spreads over numbered parts."""
    loaded = {page.number: page for page in record.book_pages}
    prefix = f"{version}/{doc_key(record.doc_id)}"
    for page in record.pages:
        raw = loaded.get(page.number)
        texts = split_utf8(page.text)
        raws = split_utf8(raw.text) if raw is not None else []
        for part in range(max(len(texts), len(raws))):
            yield {
                "key": f"{prefix}/{page.number}/{part}",
                "doc_id": record.doc_id,
                "version": version,
                "number": page.number,
                "part": part,
                "text": texts[part] if part < len(texts) else "",
                "raw": raws[part] if part < len(raws) else "",
                "has_raw": raw is not None,
                "origin": raw.origin if raw is not None else None,
                "dummy": DUMMY_VECTOR,
            }


@dataclass(frozen=True)
class StoredPage:
    """A page as stored: cleaned ``text``, and for a book page the text as loaded and its file."""

    number: int
    text: str
    raw: str | None
    origin: str | None


def pages_from_rows(rows: Iterable[Mapping[str, Any]]) -> dict[int, StoredPage]:
    """Page number -> page, the parts of each page joined in order."""
    parts: dict[int, list[Mapping[str, Any]]] = {}
    for row in rows:
        parts.setdefault(int(row["number"]), []).append(row)
    pages = {}
    for number, found in parts.items():
        found.sort(key=lambda row: int(row["part"]))
        first = found[0]
        pages[number] = StoredPage(
            number,
            "".join(row["text"] for row in found),
            "".join(row["raw"] for row in found) if first["has_raw"] else None,
            first["origin"],
        )
    return pages


def bm25_score(distance: float) -> float:
    """A BM25 score from a Milvus hit: Milvus Lite reports it negated (a distance), Milvus
    itself as is; a BM25 score is never negative, so the magnitude is the score."""
    return math.fabs(distance)
