"""Format detection and text decoding: decide from a file's bytes (and its name) how to read it."""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath

from qa.errors import IngestError
from qa.ingest.page_export import looks_like_page_export
from qa.ingest.paged_text import has_page_marks

logger = logging.getLogger(__name__)


class Format(StrEnum):
    PAGE_EXPORT = "page-export"
    PAGED_TEXT = "paged-text"
    PLAIN = "plain"
    PDF = "pdf"
    HTML = "html"
    DOCX = "docx"
    JSONL = "jsonl"


@dataclass(frozen=True)
class Detected:
    """The format of one file; ``text`` is the decoded content for the text formats."""

    format: Format
    text: str | None = None


_HTML_START = re.compile(r"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
_HTML_EXTENSIONS = frozenset({".html", ".htm", ".xhtml"})
_JSONL_EXTENSIONS = frozenset({".jsonl", ".ndjson"})
# Text editors never write these; more than a few per cent means the bytes are not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.05
_SNIFF_CHARS = 4096


def detect_format(data: bytes, path: str) -> Detected:
    """Sniff ``data`` read from ``path``; IngestError for empty files and unreadable binary."""
    if not data.strip():
        raise IngestError(path, "empty file")
    if data.lstrip()[:5] == b"%PDF-":
        return Detected(Format.PDF)
    if data[:4] == b"PK\x03\x04":
        if _is_docx(data):
            return Detected(Format.DOCX)
        raise IngestError(path, "zip archive that is not a Word document, not a supported format")
    text = decode_text(data, path)
    return Detected(_text_format(text, PurePath(path).suffix.lower()), text)


def decode_text(data: bytes, path: str) -> str:
    """UTF-8 (or a BOM-marked UTF-16) text, else the Windows/Latin-1 legacy encodings.

    Newlines come back as ``\\n``. Raises IngestError when the bytes are not text.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = _decode_utf16(data, path)
    elif b"\x00" in data:
        raise IngestError(path, "binary file, not a supported format")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = _decode_legacy(data)
            logger.info("%s is not UTF-8; read it as a legacy 8-bit encoding", path)
    sample = text[:_SNIFF_CHARS]
    if len(_CONTROL.findall(sample)) > _MAX_CONTROL_SHARE * len(sample):
        raise IngestError(path, "binary file, not a supported format")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_utf16(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as error:
        raise IngestError(path, f"broken UTF-16 text ({error.reason})") from error


def _decode_legacy(data: bytes) -> str:
    # cp1252 is Latin-1 plus curly quotes and dashes in 0x80-0x9f, and leaves five bytes
    # undefined; Latin-1 decodes anything, so it is the last resort.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _text_format(text: str, suffix: str) -> Format:
    head = text[:_SNIFF_CHARS].lstrip()
    if head.startswith("<") and (_HTML_START.search(head) or suffix in _HTML_EXTENSIONS):
        return Format.HTML
    if suffix in _JSONL_EXTENSIONS or (head.startswith("{") and _starts_with_json_object(text)):
        return Format.JSONL
    if looks_like_page_export(text):
        return Format.PAGE_EXPORT
    if has_page_marks(text):
        return Format.PAGED_TEXT
    return Format.PLAIN


def _starts_with_json_object(text: str) -> bool:
    # The whole first line: one record can be longer than the sniffed head.
    first_line = text.lstrip().partition("\n")[0]
    try:
        return isinstance(json.loads(first_line), dict)
    except (ValueError, RecursionError):
        return False
