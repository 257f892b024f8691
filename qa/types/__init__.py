"""Data that crosses module boundaries: small frozen dataclasses, nothing else.

Over 300 lines because every package imports its data from here and nowhere else; the
classes themselves are small.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Page:
    """One page as the reader sees it: ``number`` is the printed page number.

    ``origin`` is set when the page was read from a file of its own (a page export): the
    absolute path of that file. Such pages join their book one by one (see ``Document``).
    """

    number: int
    text: str
    origin: str | None = None


@dataclass(frozen=True)
class Document:
    """A document to index.

    ``pages`` is set when the source has page marks; otherwise ``text`` holds the
    whole document and citations fall back to section headings. ``id`` becomes
    every chunk's ``doc_id``. ``source`` is how the document is shown (a file name relative
    to the folder given, or a book's folder); ``origin`` is the absolute path it was read
    from, so that re-reading a folder notices deleted files.

    A *book* is a document whose pages each carry their own ``origin``: indexing it adds or
    replaces those pages and keeps the book's other pages, so a book can grow page by page.
    Any other document replaces its previous version whole.
    """

    id: str
    title: str
    text: str = ""
    pages: tuple[Page, ...] | None = None
    source: str | None = None
    origin: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Document.id must be a non-empty string")
        if self.pages is not None and not isinstance(self.pages, tuple):
            object.__setattr__(self, "pages", tuple(self.pages))

    @property
    def page_count(self) -> int:
        return len(self.pages) if self.pages else 0

    @property
    def is_book(self) -> bool:
        return bool(self.pages) and all(page.origin for page in self.pages)


# What a block of a page is. Prose flows into paragraphs across pages and columns; the other
# kinds are lifted out of the prose and become chunks of their own.
PARAGRAPH = "paragraph"
HEADING = "heading"
TABLE = "table"
FIGURE = "figure"
FOOTNOTE = "footnote"
CAPTION = "caption"
# Printed in the margin beside the body; it names what follows under the current heading.
SIDE_HEADING = "side-heading"
BLOCK_KINDS = (PARAGRAPH, HEADING, SIDE_HEADING, TABLE, FIGURE, FOOTNOTE, CAPTION)


@dataclass(frozen=True)
class Block:
    """One typed piece of a page, in reading order.

    ``label`` names a table or figure as printed ("Chart 6-7") or holds a footnote's number;
    ``rows`` are a table's cells, header row first; ``notes`` are the footnote numbers whose
    markers were taken out of a paragraph's text.
    """

    kind: str
    text: str
    label: str | None = None
    rows: tuple[tuple[str, ...], ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in BLOCK_KINDS:
            raise ValueError(f"Block.kind must be one of {BLOCK_KINDS}, got {self.kind!r}")


@dataclass(frozen=True)
class Paragraph:
    """A rebuilt paragraph (or a lifted block) with the pages it spans and its nearest heading.

    ``page_starts[i]`` is the offset in ``text`` where the text from ``pages[i]`` begins
    (empty when unknown), so a chunk cut from the paragraph can cite only its own pages.
    """

    text: str
    pages: tuple[int, ...] = ()
    section: str | None = None
    page_starts: tuple[int, ...] = ()
    kind: str = PARAGRAPH
    label: str | None = None
    notes: tuple[str, ...] = ()


def pages_label(pages: tuple[int, ...] | list[int]) -> str:
    """``p. 232`` or ``pp. 231-232``; empty when there are no pages."""
    if not pages:
        return ""
    if len(pages) == 1:
        return f"p. {pages[0]}"
    return f"pp. {pages[0]}-{pages[-1]}"


def place_label(pages: tuple[int, ...] | list[int], section: str | None) -> str:
    """Where in its document a passage is: its pages, else its section (or empty)."""
    return pages_label(pages) or section or ""


def source_label(
    title: str, pages: tuple[int, ...] | list[int], section: str | None, name: str | None = None
) -> str:
    """The one label every view uses: ``2020 Defence White Paper, p. 232``, with a table's or
    figure's ``name`` before the page: ``2020 Defence White Paper, Chart 6-7, p. 243``."""
    where = ", ".join(part for part in (name, place_label(pages, section)) if part)
    return f"{title}, {where}" if where else title


def block_name(kind: str, label: str | None) -> str | None:
    """How a citation names a lifted block: its printed label, or ``note 53`` for a footnote."""
    if not label:
        return None
    if kind in (TABLE, FIGURE):
        return label
    if kind == FOOTNOTE:
        return f"notes {label}" if "," in label else f"note {label}"
    return None


# A table row quoted as text: its non-empty cells in order.
CELL_JOINER = "; "


def row_text(row: tuple[str, ...]) -> str:
    return CELL_JOINER.join(cell for cell in row if cell)


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ").strip()


def markdown_table(rows: tuple[tuple[str, ...], ...] | list[tuple[str, ...]]) -> str:
    """``rows`` (header first) as a Markdown table, every row padded to the widest."""
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    lines = []
    for i, row in enumerate(rows):
        cells = [_cell(c) for c in row] + [""] * (width - len(row))
        lines.append("| " + " | ".join(cells) + " |")
        if i == 0:
            lines.append("|" + " --- |" * width)
    return "\n".join(lines)


def table_rows(text: str) -> tuple[tuple[str, ...], ...]:
    """The rows of the Markdown table in ``text`` (written by ``markdown_table``), header first."""
    rows = []
    for line in text.split("\n"):
        line = line.strip()
        if not (line.startswith("|") and line.endswith("|")) or set(line) <= set("|- :"):
            continue
        rows.append(tuple(cell.strip() for cell in line[1:-1].split(" | ")))
    return tuple(rows)


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


@dataclass(frozen=True)
class Citation:
    """``[n]`` in an answer: ``quote`` occurs verbatim in the chunk ``chunk_id`` on ``pages``.

    Fields:

    - ``n``: the number of the ``[n]`` marker in ``Answer.text``.
    - ``doc_id``, ``title``: the document quoted (its id, as ``Engine.documents`` lists it,
      and its display title).
    - ``pages``: the pages the quote sits on, narrowed from the chunk's pages when the quote
      is on fewer of them (``label`` names them).
    - ``quote``: the words quoted, verbatim from the chunk (a table's quote is its matching
      rows, as the ``table`` field shows them).
    - ``chunk_id``: the chunk (``Chunk.id``) the quote comes from.
    - ``section``: the nearest heading above the quote, or None.
    - ``passage``: the whole text of that chunk, for context around the quote.
    - ``kind``: the kind of block the chunk was cut from (``BLOCK_KINDS``: ``paragraph``,
      ``table``, ``figure``, ``footnote``, ...).
    - ``block_label``: the printed label of a table or figure ("Chart 6-7") or a footnote's
      number; None for prose. It goes into ``label``: "2020 Defence White Paper, Chart 6-7,
      p. 243".
    - ``table``: for a table, the header row then the rows quoted, each a tuple of cells;
      empty for prose. ``to_dict`` gives it as a Markdown table.
    """

    n: int
    doc_id: str
    title: str
    pages: tuple[int, ...]
    quote: str
    chunk_id: str = ""
    section: str | None = None
    passage: str = ""
    kind: str = PARAGRAPH
    block_label: str | None = None
    table: tuple[tuple[str, ...], ...] = ()

    @property
    def label(self) -> str:
        """Human form used in answers: ``2020 Defence White Paper, p. 232``, or for a table or
        figure ``2020 Defence White Paper, Chart 6-7, p. 243``."""
        name = block_name(self.kind, self.block_label)
        return source_label(self.title, self.pages, self.section, name)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Citation:
        """The inverse of ``to_dict`` (``label`` is derived and ignored)."""
        return cls(
            n=int(data["n"]),
            doc_id=str(data["doc_id"]),
            title=str(data.get("title", "")),
            pages=tuple(int(p) for p in data.get("pages") or ()),
            quote=str(data.get("quote", "")),
            chunk_id=str(data.get("chunk_id", "")),
            section=data.get("section"),
            passage=str(data.get("passage", "")),
            kind=str(data.get("kind") or PARAGRAPH),
            block_label=data.get("block_label"),
            table=table_rows(str(data.get("table") or "")),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "title": self.title,
            "pages": list(self.pages),
            "quote": self.quote,
            "chunk_id": self.chunk_id,
            "section": self.section,
            "passage": self.passage,
            "kind": self.kind,
            "block_label": self.block_label,
            "table": markdown_table(self.table) if self.table else None,
            "label": self.label,
        }


# A calibrated confidence below this means an answer is more likely wrong than right.
SURE_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Answer:
    """``resolved_question`` is what was searched when the question leaned on earlier turns
    (None when the question was searched as asked). ``short`` is the phrase that answers
    ("300,000"), always a slice of a citation's quote; ``missing`` says what the
    passages lack when ``found`` is False ("no passage mentions Atlantis"). ``confidence``
    in [0, 1] is the calibrated probability that the answer holds the fact asked for (of
    answers at 0.8, about 80% do); None where nothing estimated it (a language model's answer).
    """

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    found: bool = True
    hits: tuple[Hit, ...] = ()
    mode: str = "extractive"
    warnings: tuple[str, ...] = field(default=())
    resolved_question: str | None = None
    short: str | None = None
    missing: str | None = None
    confidence: float | None = None

    @property
    def tentative(self) -> bool:
        """Found, but more likely wrong than right: shown as a possible answer, not in bold."""
        return self.found and self.confidence is not None and self.confidence < SURE_CONFIDENCE

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        """An answer as ``to_dict`` gave it, e.g. sent back by a client as conversation
        history; hits are not read back (only the question, text and citations matter)."""
        return cls(
            question=str(data["question"]),
            text=str(data.get("text", "")),
            citations=tuple(Citation.from_dict(c) for c in data.get("citations") or ()),
            found=bool(data.get("found", True)),
            mode=str(data.get("mode", "extractive")),
            warnings=tuple(str(w) for w in data.get("warnings") or ()),
            resolved_question=data.get("resolved_question"),
            short=data.get("short"),
            missing=data.get("missing"),
            confidence=data.get("confidence"),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "question": self.question,
            "resolved_question": self.resolved_question,
            "text": self.text,
            "short": self.short,
            "found": self.found,
            "missing": self.missing,
            "confidence": self.confidence,
            "tentative": self.tentative,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "hits": [h.to_dict() for h in self.hits],
            "warnings": list(self.warnings),
        }
