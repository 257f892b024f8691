"""Rebuild paragraphs from canonical page text.

Canonical page text (what every loader produces): a blank line separates paragraphs, a line
starting with ``#`` is a heading, other lines are wrapped text. A blank line inside a sentence
is a column break, not a paragraph end, and a paragraph left unfinished at the bottom of a
page carries on at the top of the next page with text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from qa.clean.hyphens import join_hyphenated
from qa.clean.ligatures import best_join
from qa.clean.vocabulary import Vocabulary
from qa.text import looks_like_heading
from qa.types import Document, Paragraph

logger = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]*]*$")
_OPEN_ENDING = re.compile(r"[,;(\-–—/&]$")
_HYPHEN_END = re.compile(r"(?P<left>[A-Za-z]+)-$")
_LIGATURE_END = re.compile(r"\b(?P<left>[A-Za-z]*f)$")
_WORD_START = re.compile(r"^(?P<right>[a-z][A-Za-z]*)")
_HEADING = re.compile(r"^#+\s*")
_NO_CORPUS = Vocabulary()


@dataclass(frozen=True)
class _Block:
    """Lines between blank lines (``heading`` set instead for a heading line)."""

    text: str
    heading: str | None = None


def _blocks(page_text: str) -> Iterator[_Block]:
    lines: list[str] = []
    for raw in page_text.split("\n"):
        line = " ".join(raw.split())
        if line.startswith("#") and looks_like_heading(_HEADING.sub("", line)):
            if lines:
                yield _Block(_join_lines(lines))
                lines = []
            yield _Block("", heading=_HEADING.sub("", line))
        elif line.startswith("#"):
            # Converters mark pieces of sentences as headings too; read them as text.
            if text := _HEADING.sub("", line):
                lines.append(text)
        elif line:
            lines.append(line)
        elif lines:
            yield _Block(_join_lines(lines))
            lines = []
    if lines:
        yield _Block(_join_lines(lines))


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
        hyphen = _HYPHEN_END.search(before)
        if hyphen is not None:
            word = join_hyphenated(hyphen["left"], right["right"], _NO_CORPUS)
            return before[: hyphen.start()] + word + after[right.end() :]
        ligature = _LIGATURE_END.search(before)
        if ligature is not None:
            word = best_join([ligature["left"], right["right"]], _NO_CORPUS)
            if word is not None:
                return before[: ligature.start()] + word + after[right.end() :]
    return f"{before} {after}"


def ends_sentence(text: str) -> bool:
    return _SENTENCE_END.search(text) is not None


def continues(before: str, after: str) -> bool:
    """Whether ``after`` (the next block on the same page) carries on the paragraph ``before``."""
    if ends_sentence(before):
        return False
    return after[0].islower() or after[0].isdigit() or _OPEN_ENDING.search(before) is not None


class _Builder:
    """Accumulates one paragraph's pieces and the page each piece came from."""

    def __init__(self, section: str | None) -> None:
        self.section = section
        self.text = ""
        self.pages: list[int] = []
        self.starts: list[int] = []

    def add(self, text: str, page: int | None) -> None:
        start = len(self.text) + 1 if self.text else 0
        self.text = join_text(self.text, text) if self.text else text
        if page is not None and (not self.pages or self.pages[-1] != page):
            # A hyphen rejoin may pull the start back by a few characters; clamp it.
            self.pages.append(page)
            self.starts.append(min(start, len(self.text)))

    def build(self) -> Paragraph:
        return Paragraph(self.text, tuple(self.pages), self.section, tuple(self.starts))


def paragraphs(doc: Document) -> list[Paragraph]:
    """The document's paragraphs in reading order, with their pages and nearest heading.

    A heading is a paragraph of its own whose section is the heading itself, so its words
    stay searchable and it can join the first paragraph under it.
    """
    pages = [(p.number, p.text) for p in doc.pages] if doc.pages is not None else [(None, doc.text)]
    found: list[Paragraph] = []
    section: str | None = None
    current: _Builder | None = None
    for number, text in pages:
        first_on_page = True
        for block in _blocks(text):
            if block.heading is not None:
                if current is not None:
                    found.append(current.build())
                    current = None
                section = block.heading
                heading = _Builder(section)
                heading.add(block.heading, number)
                found.append(heading.build())
            elif current is not None and (
                not ends_sentence(current.text)
                if first_on_page
                else continues(current.text, block.text)
            ):
                current.add(block.text, number)
            else:
                if current is not None:
                    found.append(current.build())
                current = _Builder(section)
                current.add(block.text, number)
            first_on_page = False
    if current is not None:
        found.append(current.build())
    logger.debug("%s: %d paragraphs", doc.id, len(found))
    return found
