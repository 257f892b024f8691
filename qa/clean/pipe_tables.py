"""Pipe tables as a text export writes them (``|a|b|``, rows on lines of their own or flattened
into one line): their cells, and where a table ends on a page.
"""

from __future__ import annotations

import re

from qa.clean.prose import flat

_SEPARATOR_CELL = re.compile(r"^\s*:?-{3,}:?\s*$")
_PLACEHOLDER_CELL = re.compile(r"^Col\d+$")


def _clean_cell(cell: str) -> str:
    cell = flat(cell)
    return "" if _PLACEHOLDER_CELL.match(cell) else cell


def pipe_table_rows(text: str) -> tuple[tuple[str, ...], ...]:
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


def table_end(segment: str, start: int) -> int:
    """End of the pipe table starting at ``start``: its last pipe before text without pipes."""
    return segment.rindex("|") + 1 if "|" in segment[start:] else start


def cut_cell(after: str) -> bool:
    """Whether the text after a table's last pipe is a cell a column break cut: a few words
    ending the segment on the table's own line ("|Target|Sections Previously Approved for")."""
    return bool(after.strip()) and "\n" not in after.rstrip()


def row_open(table: str) -> bool:
    """Whether a flattened table ends inside a row (a column break cut it)."""
    rows = pipe_table_rows(table)
    return bool(rows) and len(rows) > 1 and len(rows[-1]) < len(rows[0])
