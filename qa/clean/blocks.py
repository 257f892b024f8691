"""Layout classifier: one page of canonical text -> typed blocks in reading order.

Official documents interleave body text with charts, tables, footnotes, photo captions and
side headings printed in the margin; text exports splice all of these into the running prose.
This stage finds them from the signals the formats carry and lifts them out, so that the
paragraph builder sees only prose and the lifted pieces become chunks of their own:

- ``figure``: a label (``[Chart 6-7]``, ``<Chart 5-9>``, ``Figure 6-16``, ``Table 3.1:``,
  ``Fig. I-2-1-4``) opening a title line, with the unit line and the labelled values after it,
  up to where prose resumes (a sentence of mostly lower-case words) or the page ends; a segment
  of bare numbers and short labels without a label is a figure too.
- ``table``: pipe rows (``|a|b|``), on lines of their own or flattened into one line, kept as
  cells; a labelled figure whose body is a pipe table becomes a table with that label.
- ``footnote``: ``**53)**`` (or a line ``53)`` whose marker ``[53)]`` is on the page or the one
  before) up to the next block or the page end; prose resumes earlier when a segment starts in
  lower case after the note ended a sentence (the body sentence it interrupted goes on).
- ``heading``: ``#`` lines, and lines set wholly in bold that read as a heading (PDF converters
  write headings that way); ``side-heading``: bold runs at a line start (with the bold pieces
  that continue them within a few words), which the export interleaves with the body, and a
  lone cell between pipes.
- ``caption``: a short line without a verb-bearing sentence that ends with a date in brackets
  ("Meeting of the leaders (June 2019)").
- ``paragraph``: everything else, with footnote markers (``[53)]``) moved to ``notes``.

This module owns the one pass over a page's lines, whose recognisers share its state and its
order of precedence (a table line is never a caption); what reads as prose and the blocks a
prose segment becomes are in ``qa.clean.prose``, pipe-table cells in ``qa.clean.pipe_tables``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from qa.clean.pipe_tables import cut_cell, pipe_table_rows, row_open, table_end
from qa.clean.prose import (
    BOLD_NOTE,
    CAPTION_MAX_WORDS,
    MARKER,
    SPACES,
    ends_sentence,
    flat,
    is_numbers,
    lower_share,
    plain_words,
    prose_blocks,
    prose_start,
)
from qa.text import looks_like_heading, numbered_heading
from qa.types import CAPTION, FIGURE, FOOTNOTE, HEADING, PARAGRAPH, SIDE_HEADING, TABLE, Block

_LABEL_WORD = r"(?:Chart|Table|Figure|Fig\.|Graph|Diagram|Map|Box|Exhibit)"
_LABEL_NUMBER = r"[0-9IVX]+(?:\s?[-.–]\s?[0-9IVX]+)*"
# Bracketed labels open a block wherever they stand; bare ones only at a line start, followed
# by a separator or a capitalised title (never "Figure 10-5 below shows" or "(Figure 2-4).").
_BRACKETED = re.compile(
    rf"(?:\*\*)?(?:\[\s*(?P<b>{_LABEL_WORD}\s*{_LABEL_NUMBER})\s*\]"
    rf"|<\s*(?P<a>{_LABEL_WORD}\s*{_LABEL_NUMBER})\s*>)(?:\*\*)?"
    r"(?=[ \t]*(?:\*\*)?[ \t]*(?:\n[ \t]*)?(?:\*\*)?[\"'“(]?[A-Z0-9])"
)
_BARE = re.compile(
    rf"^[ \t]*(?:\*\*)?(?P<c>{_LABEL_WORD}\s*{_LABEL_NUMBER})(?:\*\*)?"
    r"(?:[ \t]*[:.–—-](?:\*\*)?[ \t]*(?=\S)|\s+(?=(?:\*\*)?\(?[A-Z]))",
    re.MULTILINE,
)
# A chart titled in angle brackets without a number: "<Analysis on the Effects of ...>".
_ANGLE_TITLE = re.compile(r"^[ \t]*<(?=[A-Z][^<>\n]*(?:>|$))", re.MULTILINE)
_LINE_NOTE = re.compile(r"^[ \t]*(?:\*\*)?(?P<n>\d{1,3})\)[ \t]+(?=\S)", re.MULTILINE)
_PIPE_ROW = re.compile(r"(?<![^\s(*])\|[^|\n]*\|")
_BOLD_LINE = re.compile(r"^[ \t]*\*\*[^*]+\*\*[ \t]*$")
# The second line of a wrapped heading that the export indented like a paragraph: a few
# capitalised words right before a side heading's bold run ("OPCON Transition **Development").
_HEADING_TAIL = re.compile(r"^\s*(?P<tail>(?:[A-Z][\w’'-]*[ \t]+){0,4}[A-Z][\w’'-]*)[ \t]+(?=\*\*)")

# A heading in bold wraps onto a second line at most ("**Section 2 National Defense Policy**",
# "**and Military Strategy**").
BOLD_HEADING_MAX_LINES = 2


@dataclass
class _Open:
    """A lifted block still collecting text."""

    kind: str
    label: str | None = None
    parts: list[str] = field(default_factory=list)
    table: list[str] = field(default_factory=list)

    def text(self) -> str:
        return flat(" ".join(self.parts))


@dataclass
class _Event:
    start: int
    end: int
    kind: str
    label: str | None = None


def _events(segment: str, notes: frozenset[str]) -> list[_Event]:
    """Where lifted blocks start in ``segment``, in order (overlaps resolved left to right)."""
    found: list[_Event] = []
    for match in BOLD_NOTE.finditer(segment):
        found.append(_Event(match.start(), match.end(), FOOTNOTE, match["n"]))
    for match in _LINE_NOTE.finditer(segment):
        if match["n"] in notes:
            found.append(_Event(match.start(), match.end(), FOOTNOTE, match["n"]))
    for match in _BRACKETED.finditer(segment):
        label = SPACES.sub(" ", (match["a"] or match["b"]).strip())
        found.append(_Event(match.start(), match.end(), FIGURE, label))
    for match in _BARE.finditer(segment):
        found.append(_Event(match.start(), match.end(), FIGURE, SPACES.sub(" ", match["c"])))
    for match in _ANGLE_TITLE.finditer(segment):
        found.append(_Event(match.start(), match.start(), FIGURE))
    for match in _PIPE_ROW.finditer(segment):
        found.append(_Event(match.start(), match.start(), TABLE))
    found.sort(key=lambda e: (e.start, e.kind != FOOTNOTE))
    kept: list[_Event] = []
    for event in found:
        if kept and event.start < kept[-1].end:
            continue
        if event.kind == TABLE and kept and kept[-1].kind == TABLE:
            continue
        kept.append(event)
    return kept


class _PageReader:
    """Walks the segments of one page, carrying an open lifted block across blank lines."""

    def __init__(self, notes: frozenset[str]) -> None:
        self.notes = notes
        self.blocks: list[Block] = []
        self.open: _Open | None = None

    def close(self) -> None:
        opened, self.open = self.open, None
        if opened is None:
            return
        tail = ""
        if opened.table:
            # What follows a table's last pipe with no row continuing it is the text that
            # follows the table on its line ("...rebels| Meanwhile, tensions ..."), not a cell.
            joined = " ".join(opened.table)
            end = joined.rindex("|") + 1
            opened.table, tail = [joined[:end]], joined[end:]
        self._emit(opened)
        if flat(tail):
            self._feed(tail)

    def _emit(self, opened: _Open) -> None:
        if opened.table:
            rows = pipe_table_rows(" ".join(opened.table))
            title = opened.text()
            if len(rows) == 1 and len(rows[0]) == 1 and not title:
                # A lone cell between pipes is a run-in heading: "| Overcoming COVID-19 |".
                self.blocks.append(Block(SIDE_HEADING, rows[0][0]))
                return
            if rows:
                self.blocks.append(Block(TABLE, title, opened.label, rows))
                return
            # A table of rules and placeholder cells only says nothing: its title stays.
        text = opened.text()
        if not text:
            return
        if opened.kind == FIGURE and opened.label:
            text = f"{opened.label} {text}" if not text.startswith(opened.label) else text
        if opened.kind == FOOTNOTE:
            self.blocks.append(Block(FOOTNOTE, text, opened.label))
        else:
            self.blocks.append(Block(opened.kind, text, opened.label))

    def prose(self, text: str) -> None:
        if not flat(text):
            return
        previous = self.blocks[-1] if self.blocks else None
        tail = _HEADING_TAIL.match(text) if previous and previous.kind == HEADING else None
        if previous is not None and tail is not None:
            self.blocks[-1] = Block(HEADING, f"{previous.text} {tail['tail']}")
            text = text[tail.end() :]
        self.blocks.extend(prose_blocks(text))

    def heading(self, text: str) -> None:
        self.close()
        self.blocks.append(Block(HEADING, text))

    def segment(self, segment: str) -> None:
        events = _events(segment, self.notes)
        position = self._resume(segment, events[0].start if events else len(segment))
        for event in events:
            if event.start < position:
                continue
            piece = segment[position : event.start]
            if position == 0 and self.open is None and self._is_caption(piece):
                self.blocks.append(Block(CAPTION, flat(piece)))
            else:
                self._feed(piece)
            position = self._start(event, segment)
        self._feed(segment[position:])

    def _is_caption(self, piece: str) -> bool:
        """A few capitalised words opening a segment, right before a lifted block, after a
        finished sentence: the name under a photo ("Hanbit Unit")."""
        words = plain_words(piece)
        if not words or len(words) > CAPTION_MAX_WORDS or lower_share(words) > 0:
            return False
        last = next((b for b in reversed(self.blocks) if b.kind == PARAGRAPH), None)
        return last is None or ends_sentence(last.text)

    def _resume(self, segment: str, limit: int) -> int:
        """How much of ``segment`` (up to its first event at ``limit``) continues the open block."""
        opened = self.open
        if opened is None:
            return 0
        stripped = segment.lstrip()
        if opened.table:
            end = 0
            if "|" in segment and not stripped.startswith("|"):
                # A row cut by a column break: the cell goes on up to the table's last pipe.
                end = table_end(segment, 0)
                opened.table.append(segment[:end])
            self.close()
            return end
        if opened.kind == FOOTNOTE:
            side = stripped.startswith("**") and BOLD_NOTE.match(stripped) is None
            resumed = stripped[:1].islower() and ends_sentence(opened.text())
            if side or resumed:
                self.close()
        elif opened.kind == FIGURE:
            start = prose_start(segment[:limit])
            if start is not None:
                opened.parts.append(segment[:start])
                self.close()
                return start
        else:
            self.close()
        return 0

    def _feed(self, text: str) -> None:
        """Text up to the next event: the open block's, or prose."""
        opened = self.open
        if opened is None:
            if is_numbers(text):
                self.blocks.append(Block(FIGURE, flat(text)))
            else:
                self.prose(text)
            return
        if opened.table:
            # The cell a column break cut off: the rest of the row is on the next segment.
            opened.table.append(text)
            return
        if opened.kind == FIGURE:
            start = prose_start(text)
            if start is not None:
                opened.parts.append(text[:start])
                self.close()
                self.prose(text[start:])
                return
        opened.parts.append(text)

    def _start(self, event: _Event, segment: str) -> int:
        if event.kind == TABLE:
            end = table_end(segment, event.start)
            if self.open is not None and self.open.kind == FIGURE and not self.open.table:
                self.open.table.append(segment[event.start : end])
            else:
                self.close()
                self.open = _Open(TABLE, table=[segment[event.start : end]])
            if not row_open(" ".join(self.open.table)) and not cut_cell(segment[end:]):
                self.close()
            return end
        self.close()
        self.open = _Open(event.kind, event.label)
        return event.end


def _reads_as_heading(text: str) -> bool:
    # Numbered headings count whatever their case: converters lose small capitals.
    return looks_like_heading(text) or numbered_heading(text)


def _bold_heading(lines: list[str]) -> str | None:
    """The heading a run of lines sets in bold on lines of its own ("**1. National Defense
    Objectives**"), as PDF converters write the headings they do not mark with ``#``: every
    line one bold run, together reading as a heading, and no note or figure label."""
    if len(lines) > BOLD_HEADING_MAX_LINES or not all(_BOLD_LINE.match(line) for line in lines):
        return None
    text = flat(" ".join(lines))
    heading = (
        BOLD_NOTE.match(lines[0].strip()) is None
        and _LINE_NOTE.match(text) is None
        and "|" not in text
        and not (_BARE.match(text) or _BRACKETED.match(text) or _ANGLE_TITLE.match(text))
        and _reads_as_heading(text)
    )
    return text if heading else None


def _segments(page_text: str) -> Iterator[tuple[bool, str]]:
    """(is_heading, text) for each run of non-blank lines and each ``#`` line; a run of bold
    lines that reads as a heading is one too."""
    lines: list[str] = []

    def run() -> tuple[bool, str]:
        heading = _bold_heading(lines)
        return (True, heading) if heading is not None else (False, "\n".join(lines))

    for line in page_text.split("\n"):
        if line.lstrip().startswith("#"):
            if lines:
                yield run()
                lines = []
            heading = line.strip().lstrip("#").strip()
            if heading:
                yield True, heading
        elif line.strip():
            lines.append(line)
        elif lines:
            yield run()
            lines = []
    if lines:
        yield run()


def note_numbers(text: str) -> frozenset[str]:
    """Footnote numbers marked in ``text`` (``[53)]``)."""
    return frozenset(m["n"] for m in MARKER.finditer(text))


def page_blocks(page_text: str, notes: frozenset[str] = frozenset()) -> list[Block]:
    """The typed blocks of one page of canonical text, in reading order.

    ``notes`` are footnote numbers marked on the page before, so that a plain ``53)`` line
    counts as a footnote when its marker was there.
    """
    reader = _PageReader(notes | note_numbers(page_text))
    carried = ""
    for is_heading, text in _segments(page_text):
        if carried:
            text, carried = f"{carried}\n{text}", ""
        if not is_heading:
            reader.segment(text)
            continue
        if _BARE.match(text) or _BRACKETED.match(text) or _ANGLE_TITLE.match(text):
            reader.close()
            reader.segment(text)
        elif _PIPE_ROW.search(text):
            # A loader's heading that holds table cells is a figure's title line running into
            # its table: it goes on the open block.
            reader.segment(text)
        elif not _reads_as_heading(flat(text)):
            # Loaders mark pieces of sentences as headings too: read them with what follows.
            carried = text
        else:
            reader.heading(flat(text))
    if carried:
        reader.segment(carried)
    reader.close()
    return reader.blocks
