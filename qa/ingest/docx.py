"""Word documents through python-docx: Heading styles become ``#`` lines, tables rows."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import PurePath

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml.etree import LxmlError

from qa.errors import IngestError
from qa.ingest.plain import clean_title, title_from_stem
from qa.settings import Settings
from qa.types import Document

_HEADING_STYLE = re.compile(r"^heading\s+([1-9])$", re.IGNORECASE)
_DAMAGED = (PackageNotFoundError, zipfile.BadZipFile, LxmlError, KeyError, ValueError)


def load_docx(
    data: bytes, path: str, source: str | None, settings: Settings | None = None
) -> Document:
    """One Document without pages (Word files carry no fixed page breaks)."""
    _check_unpacked_size(data, path, settings or Settings())
    try:
        word = docx.Document(io.BytesIO(data))
        blocks, title_paragraph = _blocks(word.iter_inner_content())
        core_title = word.core_properties.title
    except _DAMAGED as error:
        raise IngestError(path, f"damaged Word document ({error})") from error
    text = "\n\n".join(blocks)
    if not text.strip():
        raise IngestError(path, "Word document has no text")
    stem = PurePath(path).stem
    title = clean_title(core_title or "") or title_paragraph or title_from_stem(stem)
    return Document(id=stem, title=title, text=text, source=source)


def _check_unpacked_size(data: bytes, path: str, settings: Settings) -> None:
    """IngestError when the archive would unpack to more than the limits allow.

    The declared sizes are binding: ``zipfile`` stops at a member's declared size (and then
    fails its CRC check), so a member that lies about its size cannot unpack further.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as error:
        raise IngestError(path, f"damaged Word document ({error})") from error
    if unpacked > settings.max_unzipped_bytes:
        raise IngestError(
            path,
            f"Word document unpacks to {unpacked} bytes, more than the limit of "
            f"{settings.max_unzipped_bytes} (max_unzipped_bytes)",
        )
    if unpacked > settings.max_zip_ratio * len(data):
        raise IngestError(
            path,
            f"Word document unpacks to {unpacked / len(data):.0f} times its size, more than "
            f"the limit of {settings.max_zip_ratio} (max_zip_ratio); likely a zip bomb",
        )


def _blocks(content: Iterable[DocxParagraph | Table]) -> tuple[list[str], str]:
    """Paragraph texts with headings as ``#`` lines, and the text in the Title style if any."""
    blocks: list[str] = []
    title = ""
    for item in content:
        if isinstance(item, Table):
            blocks.extend(_rows(item))
            continue
        text = " ".join(item.text.split())
        if not text:
            continue
        style = item.style.name if item.style is not None else ""
        if style == "Title":
            title = title or text
            blocks.append(f"# {text}")
        elif match := _HEADING_STYLE.match(style):
            blocks.append(f"{'#' * int(match.group(1))} {text}")
        else:
            blocks.append(text)
    return blocks, title


def _rows(table: Table) -> list[str]:
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            # A merged cell is returned once per grid column it spans.
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows
