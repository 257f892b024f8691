"""How passages and tables are shown: page and source labels, a lifted block's name, table
rows as text and as a Markdown table (and back)."""

from __future__ import annotations

from qa.types.documents import FIGURE, FOOTNOTE, TABLE


def pages_label(pages: tuple[int, ...] | list[int]) -> str:
    """``p. 232`` or ``pp. 231-232``; empty when there are no pages."""
    if not pages:
        return ""
    if len(pages) == 1:
        return f"p. {pages[0]}"
    return f"pp. {pages[0]}-{pages[-1]}"


def place_label(pages: tuple[int, ...] | list[int], section: str | None) -> str:
    """Where in its document a passage is: its pages, else its section (or empty)."""
    return pages_label(pages) or section or ""


def source_label(
    title: str, pages: tuple[int, ...] | list[int], section: str | None, name: str | None = None
) -> str:
    """The one label every view uses: ``2020 Defence White Paper, p. 232``, with a table's or
    figure's ``name`` before the page: ``2020 Defence White Paper, Chart 6-7, p. 243``."""
    where = ", ".join(part for part in (name, place_label(pages, section)) if part)
    return f"{title}, {where}" if where else title


def block_name(kind: str, label: str | None) -> str | None:
    """How a citation names a lifted block: its printed label, or ``note 53`` for a footnote."""
    if not label:
        return None
    if kind in (TABLE, FIGURE):
        return label
    if kind == FOOTNOTE:
        return f"notes {label}" if "," in label else f"note {label}"
    return None


# A table row quoted as text: its non-empty cells in order.
CELL_JOINER = "; "


def row_text(row: tuple[str, ...]) -> str:
    return CELL_JOINER.join(cell for cell in row if cell)


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ").strip()


def markdown_table(rows: tuple[tuple[str, ...], ...] | list[tuple[str, ...]]) -> str:
    """``rows`` (header first) as a Markdown table, every row padded to the widest."""
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    lines = []
    for i, row in enumerate(rows):
        cells = [_cell(c) for c in row] + [""] * (width - len(row))
        lines.append("| " + " | ".join(cells) + " |")
        if i == 0:
            lines.append("|" + " --- |" * width)
    return "\n".join(lines)


def table_rows(text: str) -> tuple[tuple[str, ...], ...]:
    """The rows of the Markdown table in ``text`` (written by ``markdown_table``), header first."""
    rows = []
    for line in text.split("\n"):
        line = line.strip()
        if not (line.startswith("|") and line.endswith("|")) or set(line) <= set("|- :"):
            continue
        rows.append(tuple(cell.strip() for cell in line[1:-1].split(" | ")))
    return tuple(rows)
