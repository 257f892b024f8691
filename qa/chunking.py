"""Cut a document's paragraphs into retrieval chunks sized for the embedding model's window.

Paragraphs are the unit: small ones merge with neighbours of the same section, long ones are
cut between sentences (a single over-long sentence, such as a flattened table, is cut between
words). Each chunk cites only the pages its own text comes from.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from qa.answer.sentences import split_sentences
from qa.clean.paragraphs import paragraphs
from qa.settings import Settings
from qa.types import Chunk, Document, Paragraph

logger = logging.getLogger(__name__)

PARAGRAPH_SEPARATOR = "\n"


@dataclass(frozen=True)
class _Piece:
    """Whole sentences of one paragraph, with the pages they lie on."""

    text: str
    words: int
    pages: tuple[int, ...]
    section: str | None


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


def _pieces(paragraph: Paragraph, max_words: int) -> Iterator[_Piece]:
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
    )


def _merge(first: _Piece, second: _Piece) -> _Piece:
    pages = tuple(dict.fromkeys((*first.pages, *second.pages)))
    return _Piece(
        first.text + PARAGRAPH_SEPARATOR + second.text,
        first.words + second.words,
        tuple(sorted(pages)),
        first.section,
    )


def _pack(pieces: list[_Piece], min_words: int, max_words: int) -> list[_Piece]:
    """Merge each piece under ``min_words`` with a neighbour of the same section, as long
    as the result stays within ``max_words``; paragraphs of a good size stay chunks alone."""
    packed: list[_Piece] = []
    for piece in pieces:
        last = packed[-1] if packed else None
        if (
            last is not None
            and last.section == piece.section
            and min(last.words, piece.words) < min_words
            and last.words + piece.words <= max_words
        ):
            packed[-1] = _merge(last, piece)
        else:
            packed.append(piece)
    return packed


def chunk_document(doc: Document, settings: Settings | None = None) -> list[Chunk]:
    """Chunks of ``doc`` in reading order (pages are ``()`` when the document has none)."""
    settings = settings or Settings()
    pieces = [
        piece
        for paragraph in paragraphs(doc)
        for piece in _pieces(paragraph, settings.chunk_max_words)
    ]
    chunks = [
        Chunk.make(
            doc_id=doc.id,
            title=doc.title,
            pages=piece.pages,
            section=piece.section,
            text=piece.text,
            source=doc.source,
        )
        for piece in _pack(pieces, settings.chunk_min_words, settings.chunk_max_words)
    ]
    logger.debug("%s: %d chunks", doc.id, len(chunks))
    return chunks
