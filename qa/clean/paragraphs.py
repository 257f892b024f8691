"""Rebuild paragraphs from the typed blocks of each page (see ``qa.clean.blocks``).

Canonical page text (what every loader produces): a blank line separates paragraphs, a line
starting with ``#`` is a heading, other lines are wrapped text. A blank line inside a sentence
is a column break, not a paragraph end, and a paragraph left unfinished at the bottom of a
page carries on at the top of the next page with text. Tables, figures, footnotes and
captions are lifted out on the way: they never end or interrupt a paragraph, and come back as
paragraphs of their own kind (a side heading only sets the section).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from qa.clean.blocks import note_numbers, page_blocks
from qa.clean.hyphens import join_hyphenated
from qa.clean.ligatures import best_join
from qa.clean.vocabulary import Vocabulary
from qa.text import ENDS_SENTENCE, word_set
from qa.types import (
    HEADING,
    PARAGRAPH,
    SIDE_HEADING,
    TABLE,
    Block,
    Document,
    Paragraph,
    markdown_table,
    row_text,
    table_rows,
)

logger = logging.getLogger(__name__)

_OPEN_ENDINGS = frozenset(",;(-–—/&")
# Words a sentence never ends on: articles, prepositions, conjunctions, auxiliaries.
_NEVER_LAST = word_set(
    "a an the of in on at by for to from with into onto upon and or nor but as than that which "
    "whose who whom is are was were be been being has have had will would shall should can "
    "could may might must its their his her our your this these those such both either neither"
)
# Longer than any word: how much of a paragraph's end the end-of-text patterns look at.
_TAIL = 64
_HYPHEN_END = re.compile(r"(?P<left>[A-Za-z]+)-$")
_LIGATURE_END = re.compile(r"\b(?P<left>[A-Za-z]*f)$")
_WORD_START = re.compile(r"^(?P<right>[a-z][A-Za-z]*)")
_NO_CORPUS = Vocabulary()
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
# A page reads as double-spaced when most of its runs of lines are single lines.
DOUBLE_SPACED_MIN_RUNS = 6
DOUBLE_SPACED_SHARE = 0.7


def _join_lines(lines: list[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        text = join_text(text, line)
    return text


def join_text(before: str, after: str) -> str:
    """``before`` and ``after`` as one run of text, rejoining a word split between them by a
    line-end hyphen or a dropped ligature (judged on English frequencies alone: blank lines
    and page ends hide these splits from the page-level repairs)."""
    right = _WORD_START.match(after)
    if right is not None:
        # Only the end of ``before`` can match; searching all of a long paragraph is quadratic.
        tail = max(0, len(before) - _TAIL)
        hyphen = _HYPHEN_END.search(before, tail)
        if hyphen is not None:
            word = join_hyphenated(hyphen["left"], right["right"], _NO_CORPUS)
            return before[: hyphen.start()] + word + after[right.end() :]
        ligature = _LIGATURE_END.search(before, tail)
        if ligature is not None:
            word = best_join([ligature["left"], right["right"]], _NO_CORPUS)
            if word is not None:
                return before[: ligature.start()] + word + after[right.end() :]
    return f"{before} {after}"


def ends_sentence(text: str) -> bool:
    return ENDS_SENTENCE.search(text, max(0, len(text) - _TAIL)) is not None


def continues(before: str, after: str) -> bool:
    """Whether ``after`` (the next block on the same page) carries on the paragraph ``before``.

    A text that stops on a word no sentence ends with ("... was set at") carries on whatever
    the next block starts with ("KRW 46.7 trillion"): the blank line was a column break.
    """
    if ends_sentence(before):
        return False
    last = before.rsplit(None, 1)[-1].lower() if before.strip() else ""
    return (
        after[0].islower()
        or after[0].isdigit()
        or before[-1:] in _OPEN_ENDINGS
        or last in _NEVER_LAST
    )


def double_spaced(page_text: str) -> bool:
    """Whether the page's lines are set apart by blank lines (a double-spaced export): then a
    blank line says nothing, and only a finished sentence ends a paragraph."""
    runs = [len(run.splitlines()) for run in _BLANK_LINES.split(page_text.strip()) if run.strip()]
    single = sum(1 for n in runs if n == 1)
    return len(runs) >= DOUBLE_SPACED_MIN_RUNS and single >= DOUBLE_SPACED_SHARE * len(runs)


class _Builder:
    """Accumulates one paragraph's pieces and the page each piece came from."""

    def __init__(self, section: str | None) -> None:
        self.section = section
        self.text = ""
        self.pages: list[int] = []
        self.starts: list[int] = []
        self.notes: list[str] = []

    def add(self, text: str, page: int | None) -> None:
        start = len(self.text) + 1 if self.text else 0
        self.text = join_text(self.text, text) if self.text else text
        if page is not None and (not self.pages or self.pages[-1] != page):
            # A hyphen rejoin may pull the start back by a few characters; clamp it.
            self.pages.append(page)
            self.starts.append(min(start, len(self.text)))

    def build(self) -> Paragraph:
        notes = tuple(dict.fromkeys(self.notes))
        return Paragraph(
            self.text, tuple(self.pages), self.section, tuple(self.starts), notes=notes
        )


def _lifted(block: Block, page: int | None, section: str | None) -> Paragraph:
    text = block.text
    if block.rows:
        text = "\n".join(part for part in (block.text, markdown_table(block.rows)) if part)
    pages = (page,) if page is not None else ()
    return Paragraph(text, pages, section, (0,) if pages else (), block.kind, block.label)


def paragraphs(doc: Document) -> list[Paragraph]:
    """The document's paragraphs in reading order, with their pages and nearest heading.

    A heading is a paragraph of its own whose section is the heading itself, so its words
    stay searchable and it can join the first paragraph under it. Lifted blocks (tables,
    figures, footnotes, captions) are paragraphs of their kind, placed before the prose
    paragraph they interrupted is finished.
    """
    pages = [(p.number, p.text) for p in doc.pages] if doc.pages is not None else [(None, doc.text)]
    found: list[Paragraph] = []
    section: str | None = None
    current: _Builder | None = None
    notes: frozenset[str] = frozenset()
    for number, text in pages:
        first_on_page = True
        spaced = double_spaced(text)
        for block in page_blocks(text, notes):
            if block.kind in (HEADING, SIDE_HEADING):
                if current is not None and ends_sentence(current.text):
                    found.append(current.build())
                    current = None
                # A heading inside an unfinished sentence only names what follows. A side
                # heading leads the text under it and leaves the section to the heading above.
                if block.kind == HEADING:
                    section = block.text
                heading = _Builder(section)
                heading.add(block.text, number)
                found.append(replace(heading.build(), kind=HEADING))
            elif block.kind != PARAGRAPH:
                if current is not None and ends_sentence(current.text):
                    found.append(current.build())
                    current = None
                found.append(_lifted(block, number, section))
            elif current is not None and (
                not ends_sentence(current.text)
                if first_on_page or spaced
                else continues(current.text, block.text)
            ):
                current.add(_join_lines(block.text.split("\n")), number)
                current.notes.extend(block.notes)
                first_on_page = False
            else:
                if current is not None:
                    found.append(current.build())
                current = _Builder(section)
                current.add(_join_lines(block.text.split("\n")), number)
                current.notes.extend(block.notes)
                first_on_page = False
        notes = note_numbers(text)
    if current is not None:
        found.append(current.build())
    logger.debug("%s: %d paragraphs", doc.id, len(found))
    return found


def _reading_text(paragraph: Paragraph) -> str:
    """A lifted block as it is quoted: a table's title, then each row as ``row_text``."""
    if paragraph.kind != TABLE:
        return paragraph.text
    title = "" if paragraph.text.startswith("|") else paragraph.text.partition("\n|")[0]
    rows = [row_text(row) for row in table_rows(paragraph.text)]
    return "\n".join(part for part in (title, *rows) if part)


def reading_pages(doc: Document, found: list[Paragraph]) -> Document:
    """``doc`` with each page's text as the answers quote it: the rebuilt prose of the page in
    reading order, its headings and lifted blocks after it.

    Headings and lifted blocks go before the page's last piece of prose when that piece runs
    on to the next page, so a sentence crossing the page break stays whole across the two.
    """
    if doc.pages is None:
        return doc
    prose: dict[int, list[tuple[str, bool]]] = {}
    aside: dict[int, list[str]] = {}
    for paragraph in found:
        if paragraph.kind != PARAGRAPH:
            for page in paragraph.pages[:1]:
                aside.setdefault(page, []).append(_reading_text(paragraph))
            continue
        bounds = [*paragraph.page_starts[1:], len(paragraph.text)]
        for i, (page, start, end) in enumerate(
            zip(paragraph.pages, paragraph.page_starts, bounds, strict=True)
        ):
            runs_on = i + 1 < len(paragraph.pages)
            prose.setdefault(page, []).append((paragraph.text[start:end].strip(), runs_on))
    pages = []
    for page in doc.pages:
        pieces = [text for text, _ in prose.get(page.number, [])]
        extra = aside.get(page.number, [])
        slices = prose.get(page.number, [])
        at = len(pieces) - 1 if slices and slices[-1][1] and len(pieces) > 1 else len(pieces)
        text = "\n\n".join(p for p in (*pieces[:at], *extra, *pieces[at:]) if p)
        pages.append(replace(page, text=text))
    return replace(doc, pages=tuple(pages))
