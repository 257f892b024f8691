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

~500 lines: one pass over a page's lines, whose recognisers share its state and its order
of precedence (a table line is never a caption); split, the precedence would be implicit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from qa.text import ENDS_SENTENCE, looks_like_heading, numbered_heading
from qa.types import (
    CAPTION,
    FIGURE,
    FOOTNOTE,
    HEADING,
    PARAGRAPH,
    SIDE_HEADING,
    TABLE,
    Block,
)

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
_BOLD_NOTE = re.compile(r"\*\*\s*(?P<n>\d{1,3})\)\s*\*\*")
_LINE_NOTE = re.compile(r"^[ \t]*(?:\*\*)?(?P<n>\d{1,3})\)[ \t]+(?=\S)", re.MULTILINE)
_MARKER = re.compile(r"\[\s*\^?\s*(?P<n>\d{1,3})\s*\)?\s*\]")
_PIPE_ROW = re.compile(r"(?<![^\s(*])\|[^|\n]*\|")
_BOLD = re.compile(r"\*\*(?P<text>[^*]+?)\*\*")
_BOLD_LINE = re.compile(r"^[ \t]*\*\*[^*]+\*\*[ \t]*$")
_UNIT = re.compile(r"^\(\s*(?:Unit|Units|As of|Source)\b[^)]*\)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)")
_WORDS = re.compile(r"[^\W_]+(?:[’'\-][^\W_]+)*")
_DATED = re.compile(
    r"\((?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+)?"
    r"(?:\d{1,2},?\s+)?(?:19|20)\d{2}\)$"
)
_SEPARATOR_CELL = re.compile(r"^\s*:?-{3,}:?\s*$")
_PLACEHOLDER_CELL = re.compile(r"^Col\d+$")
_SPACES = re.compile(r"\s+")
# The second line of a wrapped heading that the export indented like a paragraph: a few
# capitalised words right before a side heading's bold run ("OPCON Transition **Development").
_HEADING_TAIL = re.compile(r"^\s*(?P<tail>(?:[A-Z][\w’'-]*[ \t]+){0,4}[A-Z][\w’'-]*)[ \t]+(?=\*\*)")

# A run reads as prose when at least this share of its words are lower case (chart labels and
# table cells are names and numbers), over at least PROSE_MIN_WORDS words.
PROSE_LOWER_SHARE = 0.4
PROSE_MIN_WORDS = 6
# ... and its first words must not be a run of names and figures.
PROSE_OPENING_WORDS = 6
PROSE_OPENING_SHARE = 0.34
# An unfinished run (no full stop before the segment ends) must be longer and plainer.
OPEN_PROSE_MIN_WORDS = 8
OPEN_PROSE_LOWER_SHARE = 0.6
# Side headings are short; their pieces come back within a few words of each other.
SIDE_HEADING_MAX_WORDS = 15
SIDE_HEADING_GAP_WORDS = 40
# A heading in bold wraps onto a second line at most ("**Section 2 National Defense Policy**",
# "**and Military Strategy**").
BOLD_HEADING_MAX_LINES = 2
CAPTION_MAX_WORDS = 15
# A segment of bare numbers: most of its tokens are figures.
NUMBERS_MIN_TOKENS = 4
NUMBERS_SHARE = 0.5


def _ends_sentence(text: str) -> bool:
    # Only the end can match: searching all of a long text for "$" is quadratic in a loop.
    return ENDS_SENTENCE.search(text, max(0, len(text) - 64)) is not None


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.replace("**", " "))


def _lower_share(words: list[str]) -> float:
    return sum(w[0].islower() for w in words) / len(words) if words else 0.0


def _is_prose_run(run: str, finished: bool) -> bool:
    """Whether ``run`` reads as a sentence: enough words, enough of them lower case, and a
    plain opening (chart values run on for a while before a sentence that follows them)."""
    words = _words(run)
    opening = _lower_share(words[:PROSE_OPENING_WORDS]) >= PROSE_OPENING_SHARE
    if finished:
        return (
            len(words) >= PROSE_MIN_WORDS and _lower_share(words) >= PROSE_LOWER_SHARE and opening
        )
    return (
        len(words) >= OPEN_PROSE_MIN_WORDS
        and _lower_share(words) >= OPEN_PROSE_LOWER_SHARE
        and opening
    )


# A sentence opens at the start (in lower case too: the rest of an interrupted sentence) or
# with a capital after a closing bracket, a digit, a full stop or a bold run.
_RUN_START = re.compile(
    r"^\s*[\"'“‘]?(?:\*\*)?[A-Za-z]|(?:(?<=[.!?…:;)\]|0-9]\s)|(?<=\*\*\s))[\"'“‘]?(?:\*\*)?[A-Z]"
)


def prose_start(text: str) -> int | None:
    """Offset where prose begins in ``text`` (chart values or table debris before it), or None.

    A prose run opens with a capital after a closing bracket, a digit or a full stop (or at
    the start), and runs to the next full stop: "... France (2019) To date, the ROK has".
    """
    for match in _RUN_START.finditer(text):
        start = match.start()
        end = _SENTENCE_END.search(text, start)
        run = text[start : end.end()] if end else text[start:]
        if _is_prose_run(run, end is not None):
            return start
    return None


def _is_numbers(text: str) -> bool:
    """Bare figures and capitalised labels only: chart values without their label."""
    tokens = text.replace("**", " ").split()
    if len(tokens) < NUMBERS_MIN_TOKENS or _lower_share(_words(text)) > 0:
        return False
    numeric = sum(
        any(ch.isdigit() for ch in t) and not any(ch.isalpha() for ch in t) for t in tokens
    )
    return numeric / len(tokens) >= NUMBERS_SHARE


def _flat(text: str) -> str:
    return _SPACES.sub(" ", text.replace("**", "")).strip()


def _clean_cell(cell: str) -> str:
    cell = _flat(cell)
    return "" if _PLACEHOLDER_CELL.match(cell) else cell


def table_rows(text: str) -> tuple[tuple[str, ...], ...]:
    """Cells of the pipe table in ``text`` (rows on lines of their own or flattened into one
    line as ``|a|b| |c|d|``), header first; separator rows are dropped."""
    tokens = text.strip().split("|")[1:-1]
    width = 0
    for i, token in enumerate(tokens):
        if _SEPARATOR_CELL.match(token):
            run = 0
            while i + run < len(tokens) and _SEPARATOR_CELL.match(tokens[i + run]):
                run += 1
            width = run
            break
    rows: list[list[str]] = []
    row: list[str] = []
    for token in tokens:
        boundary = not token.strip() and ("\n" in token or token == " " or not width)
        if row and boundary and (len(row) >= width or "\n" in token):
            rows.append(row)
            row = []
            continue
        row.append(token)
    if row:
        rows.append(row)
    kept = [
        [_clean_cell(c) for c in r]
        for r in rows
        if r and not all(_SEPARATOR_CELL.match(c) for c in r if c.strip())
    ]
    kept = [r for r in kept if any(r)]
    # Columns empty in every row are left over from ragged rows.
    width = max((i + 1 for r in kept for i, c in enumerate(r) if c), default=0)
    return tuple(tuple(r[:width]) for r in kept)


@dataclass
class _Open:
    """A lifted block still collecting text."""

    kind: str
    label: str | None = None
    parts: list[str] = field(default_factory=list)
    table: list[str] = field(default_factory=list)

    def text(self) -> str:
        return _flat(" ".join(self.parts))


@dataclass
class _Event:
    start: int
    end: int
    kind: str
    label: str | None = None


def _events(segment: str, notes: frozenset[str]) -> list[_Event]:
    """Where lifted blocks start in ``segment``, in order (overlaps resolved left to right)."""
    found: list[_Event] = []
    for match in _BOLD_NOTE.finditer(segment):
        found.append(_Event(match.start(), match.end(), FOOTNOTE, match["n"]))
    for match in _LINE_NOTE.finditer(segment):
        if match["n"] in notes:
            found.append(_Event(match.start(), match.end(), FOOTNOTE, match["n"]))
    for match in _BRACKETED.finditer(segment):
        label = _SPACES.sub(" ", (match["a"] or match["b"]).strip())
        found.append(_Event(match.start(), match.end(), FIGURE, label))
    for match in _BARE.finditer(segment):
        found.append(_Event(match.start(), match.end(), FIGURE, _SPACES.sub(" ", match["c"])))
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


def _table_end(segment: str, start: int) -> int:
    """End of the pipe table starting at ``start``: its last pipe before text without pipes."""
    return segment.rindex("|") + 1 if "|" in segment[start:] else start


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
        if _flat(tail):
            self._feed(tail)

    def _emit(self, opened: _Open) -> None:
        if opened.table:
            rows = table_rows(" ".join(opened.table))
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
        if not _flat(text):
            return
        previous = self.blocks[-1] if self.blocks else None
        tail = _HEADING_TAIL.match(text) if previous and previous.kind == HEADING else None
        if previous is not None and tail is not None:
            self.blocks[-1] = Block(HEADING, f"{previous.text} {tail['tail']}")
            text = text[tail.end() :]
        self.blocks.extend(_prose_blocks(text))

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
                self.blocks.append(Block(CAPTION, _flat(piece)))
            else:
                self._feed(piece)
            position = self._start(event, segment)
        self._feed(segment[position:])

    def _is_caption(self, piece: str) -> bool:
        """A few capitalised words opening a segment, right before a lifted block, after a
        finished sentence: the name under a photo ("Hanbit Unit")."""
        words = _words(piece)
        if not words or len(words) > CAPTION_MAX_WORDS or _lower_share(words) > 0:
            return False
        last = next((b for b in reversed(self.blocks) if b.kind == PARAGRAPH), None)
        return last is None or _ends_sentence(last.text)

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
                end = _table_end(segment, 0)
                opened.table.append(segment[:end])
            self.close()
            return end
        if opened.kind == FOOTNOTE:
            side = stripped.startswith("**") and _BOLD_NOTE.match(stripped) is None
            resumed = stripped[:1].islower() and _ends_sentence(opened.text())
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
            if _is_numbers(text):
                self.blocks.append(Block(FIGURE, _flat(text)))
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
            end = _table_end(segment, event.start)
            if self.open is not None and self.open.kind == FIGURE and not self.open.table:
                self.open.table.append(segment[event.start : end])
            else:
                self.close()
                self.open = _Open(TABLE, table=[segment[event.start : end]])
            if not _row_open(" ".join(self.open.table)) and not _cut_cell(segment[end:]):
                self.close()
            return end
        self.close()
        self.open = _Open(event.kind, event.label)
        return event.end


def _cut_cell(after: str) -> bool:
    """Whether the text after a table's last pipe is a cell a column break cut: a few words
    ending the segment on the table's own line ("|Target|Sections Previously Approved for")."""
    return bool(after.strip()) and "\n" not in after.rstrip()


def _row_open(table: str) -> bool:
    """Whether a flattened table ends inside a row (a column break cut it)."""
    rows = table_rows(table)
    return bool(rows) and len(rows) > 1 and len(rows[-1]) < len(rows[0])


def _prose_blocks(text: str) -> Iterator[Block]:
    """A prose segment without markers and side headings: the heading first, then the text."""
    notes = tuple(m["n"] for m in _MARKER.finditer(text))
    text = _MARKER.sub("", text)
    heading, text = _side_heading(text)
    if heading:
        yield Block(SIDE_HEADING, heading)
    flat = _flat(text)
    if not flat:
        return
    words = _words(flat)
    if (
        len(words) <= CAPTION_MAX_WORDS
        and _DATED.search(flat)
        and not _ends_sentence(flat)
        and not heading
    ):
        yield Block(CAPTION, flat)
        return
    lines = [_flat(line) for line in text.split("\n")]
    yield Block(PARAGRAPH, "\n".join(line for line in lines if line), notes=notes)


def _side_heading(text: str) -> tuple[str, str]:
    """(heading, text without it) when ``text`` holds a side heading, else ("", text).

    A side heading opens with a capitalised bold run at a line start, or with one that another
    bold run follows within a few words (the export interleaves the margin with the body); bold
    runs that come back within a few words continue it. A lone bold phrase mid-line is emphasis.
    """
    runs = [
        m for m in _BOLD.finditer(text) if _flat(m["text"]) and not _BOLD_NOTE.fullmatch(m.group(0))
    ]
    pieces: list[re.Match[str]] = []
    for i, match in enumerate(runs):
        inner = _flat(match["text"])
        if not pieces:
            line_start = text.rfind("\n", 0, match.start()) + 1
            at_line_start = not text[line_start : match.start()].strip()
            paired = i + 1 < len(runs) and _gap(text, match, runs[i + 1]) <= SIDE_HEADING_GAP_WORDS
            worded = any(w.isalpha() and len(w) > 1 for w in _words(inner))
            titled = (inner[0].isupper() or inner[0].isdigit()) and worded
            if titled and (at_line_start or paired):
                pieces.append(match)
            continue
        joined = " ".join(_flat(p["text"]) for p in pieces)
        if _gap(text, pieces[-1], match) > SIDE_HEADING_GAP_WORDS or _ends_sentence(joined):
            break
        pieces.append(match)
    heading = " ".join(_flat(p["text"]) for p in pieces)
    if not pieces or len(heading.split()) > SIDE_HEADING_MAX_WORDS:
        return "", text
    out: list[str] = []
    position = 0
    for piece in pieces:
        out.append(text[position : piece.start()])
        position = piece.end()
    out.append(text[position:])
    return heading, "".join(out)


def _gap(text: str, first: re.Match[str], second: re.Match[str]) -> int:
    return len(_words(text[first.end() : second.start()]))


def _reads_as_heading(text: str) -> bool:
    # Numbered headings count whatever their case: converters lose small capitals.
    return looks_like_heading(text) or numbered_heading(text)


def _bold_heading(lines: list[str]) -> str | None:
    """The heading a run of lines sets in bold on lines of its own ("**1. National Defense
    Objectives**"), as PDF converters write the headings they do not mark with ``#``: every
    line one bold run, together reading as a heading, and no note or figure label."""
    if len(lines) > BOLD_HEADING_MAX_LINES or not all(_BOLD_LINE.match(line) for line in lines):
        return None
    text = _flat(" ".join(lines))
    heading = (
        _BOLD_NOTE.match(lines[0].strip()) is None
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
    return frozenset(m["n"] for m in _MARKER.finditer(text))


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
        elif not _reads_as_heading(_flat(text)):
            # Loaders mark pieces of sentences as headings too: read them with what follows.
            carried = text
        else:
            reader.heading(_flat(text))
    if carried:
        reader.segment(carried)
    reader.close()
    return reader.blocks
