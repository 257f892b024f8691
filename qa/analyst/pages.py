"""A cited page in full: its cleaned text, where a quote sits on it, its neighbours, and for
a PDF the page drawn as an image (pypdfium2).

An analyst checks a quote in its context, so the viewer shows the whole stored page (the text
quotes are matched against) rather than the chunk, with the quoted words located on it even
where the page breaks lines the quote does not, or where the quote runs on to the next page.
"""

from __future__ import annotations

import io
import logging
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import UnknownDocument
from qa.text import ROW_JOINER
from qa.types import CELL_JOINER

if TYPE_CHECKING:
    from qa.index.base import Index

logger = logging.getLogger(__name__)

# A quote running across a page break shows on each page as its longest end found there; an
# end shorter than this (without spaces) could match anywhere and marks nothing.
MIN_PARTIAL_CHARS = 24
_HEADING_MARK = re.compile(r"^#+[ \t]*", re.MULTILINE)
# Width of a rendered page image, in pixels; about 1.4x a US letter page at 72 dpi.
IMAGE_WIDTH = 1100


@dataclass(frozen=True)
class PageView:
    """Page ``number`` of a document as stored; ``previous``/``next`` are the neighbouring
    stored page numbers (None at either end), ``position`` is 1-based among ``count`` pages.
    ``highlights`` are the ``(start, end)`` ranges of ``text`` showing the quote asked for."""

    doc_id: str
    title: str
    number: int
    text: str
    previous: int | None
    next: int | None
    position: int
    count: int
    has_image: bool = False
    highlights: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "number": self.number,
            "text": self.text,
            "previous": self.previous,
            "next": self.next,
            "position": self.position,
            "count": self.count,
            "has_image": self.has_image,
            "highlights": [list(span) for span in self.highlights],
        }


def neighbours(numbers: Sequence[int], number: int) -> tuple[int | None, int | None, int]:
    """``(previous, next, position)`` of ``number`` in the sorted page ``numbers``; pages may be
    missing in between (a book exported in parts), so neighbours are stored pages, not n±1."""
    index = bisect_left(numbers, number)
    if index >= len(numbers) or numbers[index] != number:
        raise ValueError(f"page {number} is not among the stored pages")
    previous = numbers[index - 1] if index > 0 else None
    following = numbers[index + 1] if index + 1 < len(numbers) else None
    return previous, following, index + 1


def _squashed(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace or heading marks, lower-cased, and for every character kept
    its offset in ``text`` (the same reduction the store uses to match quotes to pages)."""
    marks = {i for m in _HEADING_MARK.finditer(text) for i in range(m.start(), m.end())}
    kept: list[str] = []
    offsets: list[int] = []
    for i, char in enumerate(text):
        if char.isspace() or i in marks:
            continue
        lowered = char.lower()
        kept.append(lowered if len(lowered) == 1 else char)
        offsets.append(i)
    return "".join(kept), offsets


def _longest_end(haystack: str, needle: str, *, prefix: bool) -> tuple[int, int] | None:
    """The longest prefix (or suffix) of ``needle`` found in ``haystack``: ``(start, length)``.

    Found-ness is monotone in the length (a shorter prefix of a found prefix is found too),
    so the length is found by bisection.
    """

    def part(length: int) -> str:
        return needle[:length] if prefix else needle[len(needle) - length :]

    low, high = 0, len(needle)
    while low < high:
        middle = (low + high + 1) // 2
        if part(middle) in haystack:
            low = middle
        else:
            high = middle - 1
    if low < min(MIN_PARTIAL_CHARS, len(needle)):
        return None
    return haystack.find(part(low)), low


def _part_span(squashed: str, offsets: list[int], part: str) -> tuple[int, int] | None:
    wanted, _ = _squashed(part)
    if not wanted:
        return None
    start = squashed.find(wanted)
    length = len(wanted)
    if start < 0:
        found = _longest_end(squashed, wanted, prefix=True) or _longest_end(
            squashed, wanted, prefix=False
        )
        if found is None:
            return None
        start, length = found
    return offsets[start], offsets[start + length - 1] + 1


def _row_spans(squashed: str, offsets: list[int], cells: list[str]) -> list[tuple[int, int]]:
    """The cells of a quoted table row, in order, at the place where they sit closest
    together (a cell's words may also occur in the prose above the table)."""
    wanted = [w for w in (_squashed(cell)[0] for cell in cells) if w]
    best: list[tuple[int, int]] = []
    start = squashed.find(wanted[0]) if wanted else -1
    while start >= 0:
        found = [(start, start + len(wanted[0]))]
        for cell in wanted[1:]:
            at = squashed.find(cell, found[-1][1])
            if at < 0:
                break
            found.append((at, at + len(cell)))
        complete = len(found) == len(wanted)
        if complete and (not best or found[-1][1] - found[0][0] < best[-1][1] - best[0][0]):
            best = found
        start = squashed.find(wanted[0], start + 1)
    return [(offsets[a], offsets[b - 1] + 1) for a, b in best]


def quote_spans(text: str, quote: str) -> tuple[tuple[int, int], ...]:
    """The ``(start, end)`` ranges of ``text`` that show ``quote``, in order, not overlapping.

    Spacing, line breaks and case may differ. A quote of several parts (table rows or
    sentences joined by `` ... ``) gives a range per part found; a table row is looked for
    as written, else cell by cell. A quote running on to another page gives the longest
    beginning or end of it that is on this page.
    """
    if not quote.strip() or not text:
        return ()
    squashed, offsets = _squashed(text)
    spans: list[tuple[int, int]] = []
    for part in (p for p in quote.split(ROW_JOINER) if p.strip()):
        span = _part_span(squashed, offsets, part)
        if span is not None:
            spans.append(span)
        elif CELL_JOINER in part:
            spans.extend(_row_spans(squashed, offsets, part.split(CELL_JOINER)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def is_pdf(path: str | Path | None) -> bool:
    """Whether ``path`` is a readable file that starts like a PDF."""
    if not path:
        return False
    try:
        with Path(path).open("rb") as stream:
            return stream.read(5) == b"%PDF-"
    except OSError:
        return False


def render_pdf_page(path: str | Path, number: int, width: int = IMAGE_WIDTH) -> bytes | None:
    """Page ``number`` (1-based, as the PDF loader numbers pages) of the PDF at ``path`` as
    PNG bytes ``width`` pixels wide; None when the file or page is gone or cannot be drawn
    (the text view still works)."""
    # Imported here: only a PDF page image needs PDFium.
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except (pypdfium2.PdfiumError, OSError) as error:
        logger.warning("cannot open %s to draw page %d: %s", path, number, error)
        return None
    try:
        if not 1 <= number <= len(pdf):
            return None
        page = pdf[number - 1]
        try:
            scale = width / page.get_width()
            bitmap = page.render(scale=scale)
            image = bitmap.to_pil()
        finally:
            page.close()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    except pypdfium2.PdfiumError as error:
        logger.warning("cannot draw page %d of %s: %s", number, path, error)
        return None
    finally:
        pdf.close()


def load_page(store: Index, doc_id: str, number: int, quote: str | None = None) -> PageView:
    """Page ``number`` of ``doc_id`` from ``store`` with ``quote`` located on it.

    ``UnknownDocument`` for a document that is not indexed, or a page it does not have.
    """
    info = next((d for d in store.documents() if d.doc_id == doc_id), None)
    if info is None:
        raise UnknownDocument(f"unknown document id: {doc_id!r}")
    numbers = store.page_numbers(doc_id)
    text = store.page_text(doc_id, [number]) if number in numbers else None
    if text is None:
        where = f"pages {numbers[0]}-{numbers[-1]}" if numbers else "no pages"
        raise UnknownDocument(f"{info.title} ({doc_id!r}) has no page {number}; it has {where}")
    previous, following, position = neighbours(numbers, number)
    return PageView(
        doc_id=doc_id,
        title=info.title,
        number=number,
        text=text,
        previous=previous,
        next=following,
        position=position,
        count=len(numbers),
        has_image=is_pdf(info.origin),
        highlights=quote_spans(text, quote) if quote else (),
    )
