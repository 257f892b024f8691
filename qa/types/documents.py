"""What is read and rebuilt before chunking: pages, documents, typed blocks and paragraphs."""

from __future__ import annotations

from dataclasses import dataclass


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
