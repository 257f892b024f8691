"""The retrieval unit and what a search returns: ``Chunk`` and ``Hit``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from qa.types.documents import PARAGRAPH
from qa.types.labels import block_name, source_label


def chunk_id(doc_id: str, text: str) -> str:
    """Stable id: unchanged text in the same document keeps its id across re-indexing."""
    return hashlib.sha1(f"{doc_id}\x00{text}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Chunk:
    """A retrieval unit. ``kind`` is the block kind it was cut from (see ``BLOCK_KINDS``);
    ``block_label`` names a table or figure ("Chart 6-7") or holds a footnote's number;
    ``notes`` are the footnote numbers marked in the text; ``glossary`` holds the long forms
    of acronyms the text uses without spelling out ("GP: guard posts"), defined elsewhere in
    the document. A table's ``text`` is its title line(s), then its rows as a Markdown table."""

    id: str
    doc_id: str
    title: str
    pages: tuple[int, ...]
    section: str | None
    text: str
    source: str | None = None
    kind: str = PARAGRAPH
    block_label: str | None = None
    notes: tuple[str, ...] = ()
    glossary: tuple[str, ...] = ()

    @classmethod
    def make(
        cls,
        *,
        doc_id: str,
        title: str,
        pages: tuple[int, ...],
        section: str | None,
        text: str,
        source: str | None,
        kind: str = PARAGRAPH,
        block_label: str | None = None,
        notes: tuple[str, ...] = (),
        glossary: tuple[str, ...] = (),
    ) -> Chunk:
        return cls(
            chunk_id(doc_id, text),
            doc_id,
            title,
            tuple(pages),
            section,
            text,
            source,
            kind,
            block_label,
            tuple(notes),
            tuple(glossary),
        )

    @property
    def label(self) -> str:
        name = block_name(self.kind, self.block_label)
        return source_label(self.title, self.pages, self.section, name)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        """The inverse of ``to_dict`` (e.g. a hit a server sent)."""
        return cls(
            id=str(data["id"]),
            doc_id=str(data["doc_id"]),
            title=str(data["title"]),
            pages=tuple(int(p) for p in data["pages"]),
            section=data.get("section"),
            text=str(data["text"]),
            source=data.get("source"),
            kind=str(data.get("kind") or PARAGRAPH),
            block_label=data.get("block_label"),
            notes=tuple(data.get("notes") or ()),
            glossary=tuple(data.get("glossary") or ()),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "doc_id": self.doc_id,
            "title": self.title,
            "pages": list(self.pages),
            "section": self.section,
            "kind": self.kind,
            "block_label": self.block_label,
            "notes": list(self.notes),
            "glossary": list(self.glossary),
            "text": self.text,
            "source": self.source,
        }


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk. ``score`` is the fused score (higher is better)."""

    chunk: Chunk
    score: float
    rank: int
    dense_rank: int | None = None
    lexical_rank: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Hit:
        """The inverse of ``to_dict``."""
        return cls(
            chunk=Chunk.from_dict(data["chunk"]),
            score=float(data["score"]),
            rank=int(data["rank"]),
            dense_rank=data.get("dense_rank"),
            lexical_rank=data.get("lexical_rank"),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "chunk": self.chunk.to_dict(),
            "score": self.score,
            "rank": self.rank,
            "dense_rank": self.dense_rank,
            "lexical_rank": self.lexical_rank,
        }
