"""What an index keeps of a document, as every backend (folder, Milvus) reads and writes it."""

from __future__ import annotations

from dataclasses import dataclass

from qa.types import Chunk, Page


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
    added_at: float | None = None  # when it was last added or replaced (seconds since epoch)

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
    """What the index keeps of one document; ``origin`` is the absolute path it was read from.

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
