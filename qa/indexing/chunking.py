"""Cut a document's paragraphs into retrieval chunks sized for the embedding model's window.

Paragraphs are the unit: small ones merge with neighbours of the same section, long ones are
cut between sentences (a single over-long sentence is cut between words). Each chunk cites only
the pages its own text comes from. Lifted blocks (tables, figures, footnotes, captions) are
chunks of their own kind and never merge with prose; a long table is cut between rows, each
part repeating the title and the header row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace

from qa.settings import Settings
from qa.text.acronyms import expansions, glossary, rare
from qa.text.sentences import split_sentences
from qa.types import (
    FOOTNOTE,
    HEADING,
    PARAGRAPH,
    TABLE,
    Chunk,
    Document,
    Paragraph,
    markdown_table,
    table_rows,
)

logger = logging.getLogger(__name__)

PARAGRAPH_SEPARATOR = "\n"
# Bump when cleaning or chunking changes the chunks a document gives: indexes then redo it.
CHUNKING_VERSION = 17


@dataclass(frozen=True)
class _Piece:
    """Whole sentences of one paragraph, with the pages they lie on."""

    text: str
    words: int
    pages: tuple[int, ...]
    section: str | None
    kind: str = PARAGRAPH
    label: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def prose(self) -> bool:
        return self.kind in (PARAGRAPH, HEADING)


def _pages_between(paragraph: Paragraph, start: int, end: int) -> tuple[int, ...]:
    if not paragraph.page_starts:
        return paragraph.pages
    bounds = [*paragraph.page_starts[1:], len(paragraph.text)]
    return tuple(
        page
        for page, first, last in zip(paragraph.pages, paragraph.page_starts, bounds, strict=True)
        if first < end and start < last
    )


def _word_spans(text: str, start: int, end: int, max_words: int) -> Iterator[tuple[int, int]]:
    """(start, end) offsets of runs of at most ``max_words`` words within ``text[start:end]``."""
    words = text[start:end].split()
    position = start
    for i in range(0, len(words), max_words):
        group = words[i : i + max_words]
        first = text.index(group[0], position)
        last = first
        for word in group:
            last = text.index(word, last) + len(word)
        yield first, last
        position = last


def _table_pieces(paragraph: Paragraph, max_words: int) -> Iterator[_Piece]:
    """A table cut between rows; every part keeps the title lines and the header row."""
    title = "" if paragraph.text.startswith("|") else paragraph.text.partition("\n|")[0]
    rows = table_rows(paragraph.text)
    header, body = rows[:1], rows[1:] or rows[:1]
    # The header row and the rule under it.
    head_words = len(title.split()) + 2 * _row_words(header[0])
    if head_words > max_words // 2:
        # A header this long is content (a table without one): repeating it would not fit.
        header, body = (), rows
        head_words = len(title.split())
    budget = max(1, (max_words - head_words) // 2)
    part: list[tuple[str, ...]] = []
    done: _Piece | None = None
    for row in (cut for whole in body for cut in _cut_row(whole, budget)):
        piece = _table_piece(paragraph, title, (*header, *part, row))
        if part and done is not None and piece.words > max_words:
            yield from _fitted(done, max_words)
            part = []
            piece = _table_piece(paragraph, title, (*header, row))
        part.append(row)
        done = piece
    if done is not None:
        yield from _fitted(done, max_words)


def _fitted(piece: _Piece, max_words: int) -> Iterator[_Piece]:
    """``piece``, or when a row is too wide for the window even alone, its words in runs."""
    if piece.words <= max_words:
        yield piece
        return
    words = piece.text.split()
    for i in range(0, len(words), max_words):
        group = words[i : i + max_words]
        yield _Piece(" ".join(group), len(group), piece.pages, piece.section, TABLE, piece.label)


def _row_words(row: tuple[str, ...]) -> int:
    """Words of ``row`` as a Markdown line: the pipes count too, the model reads them."""
    return sum(len(cell.split()) for cell in row) + len(row) + 1


def _cut_row(row: tuple[str, ...], budget: int) -> Iterator[tuple[str, ...]]:
    """``row`` as rows of at most ``budget`` words: over-long cells go on in the next row."""
    if _row_words(row) <= budget:
        yield row
        return
    room = max(1, budget - len(row) - 1)
    cells = [""] * len(row)
    used = 0
    for i, cell in enumerate(row):
        words = cell.split()
        while words:
            if used == room:
                yield tuple(cells)
                cells, used = [""] * len(row), 0
            take = room - used
            cells[i] = " ".join(w for w in (cells[i], *words[:take]) if w)
            used += min(take, len(words))
            words = words[take:]
    if used:
        yield tuple(cells)


def _table_piece(paragraph: Paragraph, title: str, rows: tuple[tuple[str, ...], ...]) -> _Piece:
    text = "\n".join(p for p in (title.strip(), markdown_table(rows)) if p)
    words = len(text.split())
    return _Piece(text, words, paragraph.pages, paragraph.section, TABLE, paragraph.label)


def _pieces(paragraph: Paragraph, max_words: int) -> Iterator[_Piece]:
    if paragraph.kind == TABLE and "\n|" in paragraph.text:
        yield from _table_pieces(paragraph, max_words)
        return
    text = paragraph.text
    spans: list[tuple[int, int]] = []
    for sentence in split_sentences(text):
        if len(sentence.text.split()) > max_words:
            spans.extend(_word_spans(text, sentence.start, sentence.end, max_words))
        else:
            spans.append((sentence.start, sentence.end))
    start = end = words = 0
    for first, last in spans:
        count = len(text[first:last].split())
        if words and words + count > max_words:
            yield _piece(paragraph, start, end, words)
            words = 0
        if not words:
            start = first
        end, words = last, words + count
    if words:
        yield _piece(paragraph, start, end, words)


def _piece(paragraph: Paragraph, start: int, end: int, words: int) -> _Piece:
    return _Piece(
        paragraph.text[start:end],
        words,
        _pages_between(paragraph, start, end),
        paragraph.section,
        paragraph.kind,
        paragraph.label,
        paragraph.notes,
    )


def _merge(first: _Piece, second: _Piece) -> _Piece:
    pages = tuple(dict.fromkeys((*first.pages, *second.pages)))
    return _Piece(
        first.text + PARAGRAPH_SEPARATOR + second.text,
        first.words + second.words,
        tuple(sorted(pages)),
        first.section,
        notes=tuple(dict.fromkeys((*first.notes, *second.notes))),
    )


def _notes_join(last: _Piece, piece: _Piece, min_words: int, max_words: int) -> bool:
    """Short footnotes of one page share a chunk: alone, a one-line note is hard to find."""
    return (
        last.kind == piece.kind == FOOTNOTE
        and last.pages == piece.pages
        and min(last.words, piece.words) < min_words
        and last.words + piece.words <= max_words
    )


def _pack(pieces: list[_Piece], min_words: int, max_words: int) -> list[_Piece]:
    """Merge each prose piece under ``min_words`` with the prose piece before it in the same
    section, as long as the result stays within ``max_words``; paragraphs of a good size stay
    chunks alone, and lifted blocks between two prose pieces do not keep them apart."""
    packed: list[_Piece] = []
    last_prose: int | None = None
    # Where the last prose chunk is, what it was before a heading joined its end, and that
    # heading: a heading leads the text under it, so it moves on when that text starts the
    # next chunk.
    trailing: tuple[int, _Piece, _Piece] | None = None
    for piece in pieces:
        if packed and _notes_join(packed[-1], piece, min_words, max_words):
            first = packed[-1]
            merged = _merge(first, piece)
            packed[-1] = replace(merged, kind=FOOTNOTE, label=f"{first.label}, {piece.label}")
            continue
        if not piece.prose:
            packed.append(piece)
            trailing = None
            continue
        last = packed[last_prose] if last_prose is not None else None
        # A heading alone (a chapter title right before a side heading) leads the next piece.
        heading_only = last is not None and last.kind == HEADING
        if (
            last is not None
            and (last.section == piece.section or heading_only)
            and min(last.words, piece.words) < min_words
            and last.words + piece.words <= max_words
        ):
            merged = _merge(last, piece)
            packed[last_prose] = replace(merged, section=piece.section) if heading_only else merged
            trailing = (last_prose, last, piece) if piece.kind == HEADING else None
        else:
            if trailing is not None and trailing[2].words + piece.words <= max_words:
                at, before, heading = trailing
                packed[at] = before
                piece = replace(_merge(heading, piece), section=piece.section)
            trailing = None
            last_prose = len(packed)
            packed.append(piece)
    return packed


def chunk_paragraphs(
    doc: Document, found: list[Paragraph], settings: Settings | None = None
) -> list[Chunk]:
    """Chunks of ``doc`` cut from its paragraphs ``found`` (see ``qa.clean.paragraphs``)."""
    settings = settings or Settings()
    pieces = [
        piece for paragraph in found for piece in _pieces(paragraph, settings.chunk_max_words)
    ]
    packed = _pack(pieces, settings.chunk_min_words, settings.chunk_max_words)
    known = rare(glossary(p.text for p in found), [piece.text for piece in packed])
    chunks = [
        Chunk.make(
            doc_id=doc.id,
            title=doc.title,
            pages=piece.pages,
            section=piece.section,
            text=piece.text,
            source=doc.source,
            kind=PARAGRAPH if piece.prose else piece.kind,
            block_label=piece.label,
            notes=piece.notes,
            glossary=expansions(piece.text, known),
        )
        for piece in packed
    ]
    logger.debug("%s: %d chunks", doc.id, len(chunks))
    return chunks
