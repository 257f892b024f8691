from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter

from qa.errors import IngestError
from qa.ingest.pdf import load_pdf
from qa.settings import Settings


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A small valid PDF: one Helvetica text line per string, a page per list."""
    count = len(pages)
    font_id = 3 + 2 * count
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(count)), count),
    ]
    for index, lines in enumerate(pages):
        shown = b" ".join(b"(%s) Tj T*" % line.encode("latin-1") for line in lines)
        stream = b"BT /F1 12 Tf 72 720 Td 14 TL " + shown + b" ET"
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * index, font_id)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    info = b""
    if title is not None:
        objects.append(b"<< /Title (%s) >>" % title.encode("latin-1"))
        info = b" /Info %d 0 R" % len(objects)
    return pdf_from_objects(objects, trailer=info)


def pdf_from_objects(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF of the given object bodies (object 1 is the catalog), with a correct xref."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (len(objects) + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def encrypt(data: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password, owner_password="owner-secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PAGES = [
    ["Northern Air Command Plan", "Interceptor squadrons rotate between two bases."],
    ["Radar coverage reaches the outer islands by 2032."],
]


def _load(data: bytes, settings: Settings | None = None):
    return load_pdf(data, "plans/air_plan.pdf", "air_plan.pdf", settings or Settings())


def test_page_n_is_the_nth_page_of_the_file() -> None:
    doc = _load(make_pdf(PAGES))

    assert doc.id == "air_plan"
    assert [page.number for page in doc.pages] == [1, 2]
    assert "Interceptor squadrons rotate" in doc.pages[0].text
    assert "outer islands" in doc.pages[1].text


def test_the_pdf_title_is_used_when_the_file_has_one() -> None:
    assert _load(make_pdf(PAGES, title="Air Command Plan 2032")).title == "Air Command Plan 2032"
    assert _load(make_pdf(PAGES)).title == "Air Plan"


def test_truncated_pdf_is_reported_not_raised_as_a_library_error() -> None:
    data = make_pdf(PAGES)
    with pytest.raises(IngestError, match="truncated or damaged PDF") as caught:
        _load(data[: len(data) // 2])
    assert caught.value.path == "plans/air_plan.pdf"


def test_password_protected_pdf_asks_for_a_password() -> None:
    with pytest.raises(IngestError, match="password"):
        _load(encrypt(make_pdf(PAGES), user_password="letmein"))


def test_pdf_locked_only_against_editing_opens_with_the_empty_password() -> None:
    doc = _load(encrypt(make_pdf(PAGES), user_password=""))
    assert "Radar coverage" in doc.pages[1].text


def test_pdf_without_text_says_it_needs_ocr() -> None:
    with pytest.raises(IngestError, match="OCR"):
        _load(make_pdf([[], []]))


def test_more_pages_than_allowed_is_an_error() -> None:
    with pytest.raises(IngestError, match="max_pages"):
        _load(make_pdf(PAGES), Settings(max_pages=1))
