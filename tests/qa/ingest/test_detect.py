from __future__ import annotations

import io
import zipfile

import docx
import pytest

from qa.errors import IngestError
from qa.ingest.detect import Format, decode_text, detect_format
from tests.qa.ingest.test_pdf import make_pdf

EXPORT_PAGE = "Page 7 - Harbor Review\nP. 7\n\nBoats leave at dawn.\n"


def _docx_bytes() -> bytes:
    out = io.BytesIO()
    word = docx.Document()
    word.add_paragraph("Only one line.")
    word.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (make_pdf([["Tanks."]]), "scan.bin", Format.PDF),
        (_docx_bytes(), "memo", Format.DOCX),
        (b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", "page.txt", Format.HTML),
        (b"  <html lang='en'><p>Hi</p></html>", "page", Format.HTML),
        (b"<div><p>fragment</p></div>", "fragment.htm", Format.HTML),
        (b'{"id": "a", "text": "Hi"}\n{"id": "b", "text": "Yo"}\n', "dump.txt", Format.JSONL),
        (b"not json at all\n", "broken.jsonl", Format.JSONL),
        (EXPORT_PAGE.encode(), "007.txt", Format.PAGE_EXPORT),
        (b"Page one.\n\x0cPage two.\n", "report.txt", Format.PAGED_TEXT),
        (b"# Cover\n\n-----\n\nSecond page.\n", "report.md", Format.PAGED_TEXT),
        (b"# Notes\n\nA line.\n\n<b>inline</b> tag.\n", "notes.md", Format.PLAIN),
        (b"{curly} words open this plain note.\n", "note.txt", Format.PLAIN),
    ],
)
def test_format_is_decided_by_content_with_the_extension_as_a_hint(
    data: bytes, name: str, expected: Format
) -> None:
    assert detect_format(data, name).format is expected


@pytest.mark.parametrize("data", [b"", b"  \n\n\t\n"])
def test_empty_files_are_rejected(data: bytes) -> None:
    with pytest.raises(IngestError, match="empty file"):
        detect_format(data, "blank.txt")


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        bytes(range(1, 9)) * 200 + b"some words",
    ],
)
def test_binary_files_are_rejected(data: bytes) -> None:
    with pytest.raises(IngestError, match="binary file, not a supported format"):
        detect_format(data, "picture.txt")


def test_zip_that_is_not_a_word_document_is_rejected() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("notes.txt", "hello")
    with pytest.raises(IngestError, match="zip archive"):
        detect_format(archive.getvalue(), "bundle.docx")


def test_legacy_encodings_are_decoded_instead_of_failing() -> None:
    latin1 = "Café crème at the naval mess, 12 °C.".encode("latin-1")
    cp1252 = "“Quoted” – with a dash".encode("cp1252")

    assert decode_text(latin1, "mess.txt") == "Café crème at the naval mess, 12 °C."
    assert decode_text(cp1252, "quote.txt") == "“Quoted” – with a dash"


def test_utf8_bom_utf16_and_windows_newlines_are_normalised() -> None:
    assert decode_text("\ufeffFirst\r\nSecond\rThird".encode(), "a.txt") == "First\nSecond\nThird"
    assert decode_text("Zürich\r\n".encode("utf-16"), "b.txt") == "Zürich\n"
