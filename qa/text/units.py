"""What an answer can quote from a passage (its sentences, or a table's rows), and what it never
quotes: headings, captions, contents lines, addresses and other pieces that are not sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.text import ENDS_CLAUSE
from qa.text.sentences import Sentence, split_sentences
from qa.types import CAPTION, FIGURE, PARAGRAPH, TABLE, Chunk, row_text, table_rows

# Sentences shorter than this many words are headings or fragments, never answers on their own.
MIN_WORDS = 4
# A line without a full stop, this short and with fewer lower-case words than this share, is a
# heading ("Civilian Control of the Military"), never an answer.
HEADING_MAX_WORDS = 15
HEADING_LOWER_SHARE = 0.5
# Longer label text is a diagram's words in layout order, never a readable quote.
LABEL_TEXT_MAX_WORDS = 40

_WORD = re.compile(r"[^\W_]+")
# A contents line points at pages ("... p. 173", "Chapter 4 ........ 85"); an address or a
# contact line has telephone numbers, web or mail addresses; four capitalised words in a row
# are a running head or a title in capitals.
_CONTENTS = re.compile(r"\.{4,}\s*\d+|(?:\bpp?\.\s*\d+\b.*){2,}|(?:\s\d{1,3}){6,}\s*$")
_CONTACT = re.compile(
    r"https?://|\bwww\.|\b[\w.+-]+@[\w-]+\.\w+|\+\d{1,3}[-\s]\d|\b(?:tel|telephone|fax)\b\s*[:.]",
    re.IGNORECASE,
)
_NEXT_ITEM = re.compile(r"\s+\d{1,2}\.$")
_CAPITALS = re.compile(r"\b(?:[A-Z][A-Z’'\-]{2,}\s+){4,}")
# Five bare numbers in a row are a chart's axis or a table's header row run into the text.
_NUMBER_RUN = re.compile(r"(?:(?<!\S)\(?\d[\d,.]*\)?%?\s+){4}\(?\d[\d,.]*\)?%?(?!\S)")


@dataclass(frozen=True)
class Unit:
    """What an answer can quote from a passage: a sentence, or one row of a table.

    ``sentence.text`` is the quote (a table row's ``row_text``);
    ``scored`` is the text matched against the question (a row with its header and title);
    ``row`` is the row's index among the table's rows (header = 0), None for sentences.
    """

    sentence: Sentence
    scored: str
    row: int | None = None


def passage_units(chunk: Chunk) -> list[Unit]:
    """The quotable units of ``chunk``: its sentences, or a table's body rows."""
    if chunk.kind == TABLE:
        rows = table_rows(chunk.text)
        if rows:
            return _row_units(chunk, rows)
    sentences = split_sentences(chunk.text)
    if chunk.kind == FIGURE and chunk.block_label and sentences:
        first = sentences[0]
        if first.text.startswith(chunk.block_label):
            # The label names the figure in the citation; it is no part of a quote.
            rest = first.text[len(chunk.block_label) :].lstrip()
            start = first.end - len(rest)
            sentences[0] = Sentence(rest, start, first.end) if rest else first
    return [Unit(s, s.text) for s in sentences]


def answer_texts(chunk: Chunk) -> list[str]:
    """What an answer embeds of ``chunk``: the scored text of each quotable unit, in order.
    The index embeds these with the chunk, so that asking reads them instead of encoding."""
    return [unit.scored for unit in passage_units(chunk) if is_quotable(chunk, unit)]


def _row_units(chunk: Chunk, rows: tuple[tuple[str, ...], ...]) -> list[Unit]:
    title = chunk.text.partition("\n|")[0] if not chunk.text.startswith("|") else ""
    header = rows[0]
    units = []
    above: tuple[str, ...] = ()
    for i, row in enumerate(rows[1:] or rows, start=1 if len(rows) > 1 else 0):
        text = row_text(row)
        if not text:
            continue
        # A merged cell is written once, in the first of its rows: the rows below read it too
        # ("troops (peacetime)" heads the Navy, Air Force and Total rows under it).
        filled = _filled(row, above)
        above = filled
        labelled = "; ".join(f"{h} {c}".strip() for h, c in zip(header, filled, strict=False) if c)
        scored = f"{title} {labelled}".strip() if i else f"{title} {text}".strip()
        units.append(Unit(Sentence(text, 0, len(text)), scored, i))
    return units


def _filled(row: tuple[str, ...], above: tuple[str, ...]) -> tuple[str, ...]:
    """``row`` with its leading empty cells taken from the row above."""
    cells = list(row)
    for i, cell in enumerate(cells):
        if cell.strip():
            break
        if i < len(above):
            cells[i] = above[i]
    return tuple(cells)


def is_sentence(text: str) -> bool:
    """Whether ``text`` reads as a sentence an analyst could quote, not page furniture."""
    words = _WORD.findall(text)
    if len(words) < MIN_WORDS or sum(w.isalpha() for w in words) < MIN_WORDS - 1:
        return False
    return not (
        _CONTENTS.search(text)
        or _CONTACT.search(text)
        or _CAPITALS.search(text)
        or _NUMBER_RUN.search(text)
    )


def _is_heading(text: str) -> bool:
    """A short title-case line without a full stop: a heading that leads a chunk's text (also
    with the number of the item after it run in: "Withdrawal of Guard Posts 1.")."""
    text = _NEXT_ITEM.sub("", text)
    words = _WORD.findall(text)
    lower = sum(w[0].islower() for w in words)
    return (
        len(words) <= HEADING_MAX_WORDS
        and not ENDS_CLAUSE.search(text)
        and lower < HEADING_LOWER_SHARE * len(words)
    )


def is_quotable(chunk: Chunk, unit: Unit) -> bool:
    """Whether ``unit`` may be quoted as (part of) an answer."""
    if unit.row is not None:
        return True
    if chunk.kind == CAPTION or not is_sentence(unit.sentence.text):
        return False
    if chunk.kind == PARAGRAPH and _is_heading(unit.sentence.text):
        return False
    if chunk.kind == FIGURE:
        return len(unit.sentence.text.split()) <= LABEL_TEXT_MAX_WORDS
    return True
