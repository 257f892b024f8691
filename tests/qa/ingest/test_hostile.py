"""Hostile files: each one becomes a single clear IngestError and costs no other file."""

from __future__ import annotations

import io
import os
import random
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from qa.errors import IngestError
from qa.ingest import LoadResult, load_paths
from qa.ingest.detect import Format
from qa.ingest.worker import ParseWorker
from qa.settings import Settings
from tests.qa.ingest.test_docx import make_docx
from tests.qa.ingest.test_pdf import PAGES, encrypt, make_pdf, pdf_from_objects

GOOD_TEXT = "# Harbour Patrol Notes\n\nThe patrol boats leave the northern pier at dawn.\n"


_CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _page(contents: int, font: int) -> bytes:
    return (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (contents, font)
    )


def pdf_bomb() -> bytes:
    """One page whose content stream inflates past pypdf's decompression limit (75 MB)."""
    packer = zlib.compressobj(9)
    block = b"(aaaaaaaa) Tj " * 70_000
    packed = packer.compress(b"BT /F1 12 Tf ")
    packed += b"".join(packer.compress(block) for _ in range(80))
    packed += packer.compress(b"ET") + packer.flush()
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (
        len(packed),
        packed,
    )
    return pdf_from_objects(
        [_CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", _page(4, 5), stream, _FONT]
    )


def pdf_page_tree_bomb() -> bytes:
    """Three levels of 100 references to the same node: a million pages from 5 objects."""
    kids = b"[" + b"4 0 R " * 100 + b"]"
    leaves = b"[" + b"6 0 R " * 100 + b"]"
    return pdf_from_objects(
        [
            _CATALOG,
            b"<< /Type /Pages /Kids [" + b"3 0 R " * 100 + b"] /Count 1000000 >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids " + kids + b" /Count 10000 >>",
            b"<< /Type /Pages /Parent 3 0 R /Kids " + leaves + b" /Count 100 >>",
            _FONT,
            _page(7, 5),
            b"<< /Length 30 >>\nstream\nBT /F1 12 Tf (hello) Tj ET\nendstream",
        ]
    )


def pdf_cyclic_page_tree() -> bytes:
    return pdf_from_objects([_CATALOG, b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"])


def _replace_member(data: bytes, name: str, content: bytes) -> bytes:
    """``data`` (a zip archive) with the member ``name`` holding ``content``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            body = content if member.filename == name else source.read(member)
            target.writestr(member.filename, body)
    return out.getvalue()


def docx_bomb(megabytes: int = 60) -> bytes:
    """A real Word file whose body text unpacks to ``megabytes`` MB of one repeated letter."""
    word = make_docx()
    xml = zipfile.ZipFile(io.BytesIO(word)).read("word/document.xml")
    filler = b"<w:p><w:r><w:t>" + b"a" * (megabytes * 1024 * 1024) + b"</w:t></w:r></w:p>"
    return _replace_member(
        word, "word/document.xml", xml.replace(b"</w:body>", filler + b"</w:body>")
    )


def docx_of_tiny_runs(paragraphs: int = 100_000) -> bytes:
    """A Word file of ``paragraphs`` paragraphs of two one-number runs: half a megabyte,
    unpacking 14x (under both zip limits), yet minutes of CPU for python-docx."""
    body = b"".join(
        f"<w:p><w:r><w:t>{n % 89}</w:t></w:r><w:r><w:t>{n}</w:t></w:r></w:p>".encode()
        for n in range(paragraphs)
    )
    return docx_with_xml(body)


def docx_lying_about_size() -> bytes:
    """A Word file whose body part claims to unpack to 100 bytes but holds far more."""
    data = bytearray(make_docx())
    name = b"word/document.xml"
    # Local header: size at offset 22; central directory entry: size at offset 24.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                data[start + offset : start + offset + 4] = struct.pack("<I", 100)
            start += 4
    return bytes(data)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()


def docx_with_xml(body: bytes) -> bytes:
    word = make_docx()
    xml = zipfile.ZipFile(io.BytesIO(word)).read("word/document.xml")
    opening = xml[: xml.index(b"<w:body>") + len(b"<w:body>")]
    return _replace_member(word, "word/document.xml", opening + body + b"</w:body></w:document>")


def _load(tmp_path: Path, name: str, data: bytes, settings: Settings | None = None) -> LoadResult:
    path = tmp_path / name
    path.write_bytes(data)
    return load_paths([path], settings)


def _one_error(result: LoadResult, name: str) -> IngestError:
    assert result.documents == ()
    assert len(result.errors) == 1, result.errors
    error = result.errors[0]
    assert isinstance(error, IngestError)
    assert error.path.endswith(name)
    return error


HOSTILE: dict[str, tuple[bytes, str]] = {
    "empty.txt": (b"", "empty"),
    "blank.md": (b" \n\t\n\r\n", "empty"),
    "noise.txt": (random.Random(7).randbytes(50_000), "binary"),
    "photo.md": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "binary"),
    "broken-utf16.txt": (b"\xff\xfe" + "text".encode("utf-16-le") + b"\x00\xd8", "UTF-16"),
    "locked.pdf": (encrypt(make_pdf(PAGES), "secret"), "password"),
    "cut.pdf": (make_pdf(PAGES)[:300], "damaged PDF"),
    "cycle.pdf": (pdf_cyclic_page_tree(), "cyclic"),
    "archive.docx": (_zip({"notes.txt": b"not a Word document"}), "not a Word document"),
    "deep.docx": (docx_with_xml(b"<w:p>" * 5000 + b"</w:p>" * 5000), "damaged Word"),
    "lying.docx": (docx_lying_about_size(), "damaged Word"),
    "deep.jsonl": (b"[" * 50_000 + b"]" * 50_000 + b"\n", "nested too deeply"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_file_is_one_error_naming_the_file_and_the_reason(
    tmp_path: Path, name: str
) -> None:
    data, reason = HOSTILE[name]

    error = _one_error(_load(tmp_path, name, data), name)

    assert reason.lower() in error.reason.lower()


def test_a_folder_of_hostile_files_still_loads_its_good_files(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    for name, (data, _) in HOSTILE.items():
        (folder / name).write_bytes(data)
    (folder / "harbour.md").write_text(GOOD_TEXT)
    (folder / "plan.pdf").write_bytes(make_pdf(PAGES))
    (folder / "reserve.docx").write_bytes(make_docx())

    result = load_paths([folder])

    assert sorted(doc.source for doc in result.documents) == [
        "harbour.md",
        "plan.pdf",
        "reserve.docx",
    ]
    assert sorted(os.path.basename(error.path) for error in result.errors) == sorted(HOSTILE)


def test_a_jsonl_line_nested_thousands_deep_costs_only_that_line(tmp_path: Path) -> None:
    lines = [
        b'{"id": "a", "title": "Depot A", "text": "Depot A stores fuel."}',
        b"[" * 50_000 + b"]" * 50_000,
        b'{"id": "b", "title": "Depot B", "text": "Depot B stores rations."}',
    ]

    result = _load(tmp_path, "depots.jsonl", b"\n".join(lines))

    assert [doc.id for doc in result.documents] == ["a", "b"]
    assert [error.reason for error in result.errors] == ["line 2: JSON nested too deeply"]


def test_a_file_opening_with_deeply_nested_json_is_read_as_text(tmp_path: Path) -> None:
    data = b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}\nThe depot stores fuel.\n"

    result = _load(tmp_path, "odd.txt", data)

    assert result.errors == ()
    assert "The depot stores fuel." in result.documents[0].text


@pytest.mark.parametrize("depth", [600, 20_000])
def test_deeply_nested_html_keeps_its_text(tmp_path: Path, depth: int) -> None:
    page = (
        "<html><head><title>Depot Guide</title></head><body>"
        + "<div><span>" * depth
        + "<p>Fuel is stored underground.</p>"
        + "</span></div>" * depth
        + "<p>Rations are stored in the north shed.</p></body></html>"
    )

    result = _load(tmp_path, "guide.html", page.encode())

    assert result.errors == ()
    assert result.documents[0].text.split("\n\n") == [
        "Fuel is stored underground.",
        "Rations are stored in the north shed.",
    ]


def test_unclosed_html_tags_nested_deeply_keep_their_text(tmp_path: Path) -> None:
    page = "<html><body>" + "<table><tr><td>" * 5000 + "Fuel is stored underground."

    result = _load(tmp_path, "guide.html", page.encode())

    assert result.errors == ()
    assert result.documents[0].text == "Fuel is stored underground."


def test_invalid_utf8_is_read_as_legacy_text_not_rejected(tmp_path: Path) -> None:
    data = b"# Mess Hall\n\nCaf\xe9 au lait \x93every\x94 Friday.\n\xff\xfe\xfd\n"

    result = _load(tmp_path, "mess.txt", data)

    assert result.errors == ()
    assert "Café au lait “every” Friday." in result.documents[0].text


def test_a_file_over_max_file_bytes_is_refused_before_reading(tmp_path: Path) -> None:
    error = _one_error(
        _load(tmp_path, "big.txt", GOOD_TEXT.encode() * 10, Settings(max_file_bytes=100)),
        "big.txt",
    )

    assert "max_file_bytes" in error.reason


def test_a_pdf_with_more_pages_than_max_pages_is_refused(tmp_path: Path) -> None:
    error = _one_error(
        _load(tmp_path, "plan.pdf", make_pdf(PAGES), Settings(max_pages=1)), "plan.pdf"
    )

    assert "max_pages" in error.reason


def test_paged_text_with_more_pages_than_max_pages_is_refused(tmp_path: Path) -> None:
    text = "\f".join(f"Page {n} says the depot is open." for n in range(1, 40))

    error = _one_error(
        _load(tmp_path, "pages.txt", text.encode(), Settings(max_pages=10)), "pages.txt"
    )

    assert "max_pages" in error.reason


def test_a_pdf_stream_inflating_past_the_decompression_limit_is_refused(tmp_path: Path) -> None:
    error = _one_error(_load(tmp_path, "bomb.pdf", pdf_bomb()), "bomb.pdf")

    assert "limit" in error.reason.lower()


def test_a_pdf_page_tree_claiming_a_million_pages_is_refused(tmp_path: Path) -> None:
    error = _one_error(_load(tmp_path, "tree.pdf", pdf_page_tree_bomb()), "tree.pdf")

    assert "limit" in error.reason.lower()


def test_a_zip_bomb_disguised_as_docx_is_refused_by_its_packing_ratio(tmp_path: Path) -> None:
    error = _one_error(_load(tmp_path, "report.docx", docx_bomb()), "report.docx")

    assert "max_zip_ratio" in error.reason


def test_a_docx_unpacking_past_max_unzipped_bytes_is_refused(tmp_path: Path) -> None:
    settings = Settings(max_unzipped_bytes=1024 * 1024, max_zip_ratio=10_000)

    error = _one_error(_load(tmp_path, "report.docx", docx_bomb(2), settings), "report.docx")

    assert "max_unzipped_bytes" in error.reason


def test_docx_entity_expansion_is_not_performed(tmp_path: Path) -> None:
    word = make_docx()
    xml = zipfile.ZipFile(io.BytesIO(word)).read("word/document.xml")
    entities = b'<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %c "%s">' % (ord("b") + i, (b"&%c;" % (ord("a") + i)) * 10) for i in range(8)
    )
    start = xml.index(b"<w:document")
    laughs = xml[:start] + entities + b"]>" + xml[start:]
    laughs = laughs.replace(b"</w:body>", b"<w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body>")

    result = _load(tmp_path, "laughs.docx", _replace_member(word, "word/document.xml", laughs))

    assert sum(len(doc.text) for doc in result.documents) < 10_000


@pytest.mark.parametrize(
    "overrides",
    [{"max_unzipped_bytes": 0}, {"max_zip_ratio": -1}, {"max_zip_ratio": 2.5}],
)
def test_the_unzip_limits_are_validated_like_the_other_limits(overrides: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(overrides))):
        Settings(**overrides)


def test_a_word_file_of_100k_tiny_runs_is_refused_at_the_parse_deadline(tmp_path: Path) -> None:
    settings = Settings(parse_seconds=3)
    started = time.perf_counter()

    error = _one_error(_load(tmp_path, "runs.docx", docx_of_tiny_runs(), settings), "runs.docx")

    assert "parse_seconds" in error.reason
    # The deadline, plus starting the reader process on a busy machine.
    assert time.perf_counter() - started < settings.parse_seconds + 10


def test_a_word_file_needing_more_memory_than_the_cap_is_refused(tmp_path: Path) -> None:
    settings = Settings(max_zip_ratio=1_000_000, parse_memory_bytes=300 * 1024**2)

    error = _one_error(_load(tmp_path, "report.docx", docx_bomb(200), settings), "report.docx")

    assert "parse_memory_bytes" in error.reason


def test_files_after_a_killed_reader_still_load(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a-runs.docx").write_bytes(docx_of_tiny_runs())
    (folder / "b-reserve.docx").write_bytes(make_docx())
    (folder / "c-plan.pdf").write_bytes(make_pdf(PAGES))

    result = load_paths([folder], Settings(parse_seconds=3))

    assert [doc.source for doc in result.documents] == ["b-reserve.docx", "c-plan.pdf"]
    assert [Path(error.path).name for error in result.errors] == ["a-runs.docx"]


def test_a_reader_process_that_died_is_one_error_and_the_next_file_gets_a_new_one() -> None:
    with ParseWorker(Settings()) as worker:
        assert worker.load(Format.DOCX, make_docx(), "a.docx", "a.docx").text
        process = worker._process
        assert process is not None
        process.kill()
        process.wait()
        with pytest.raises(IngestError, match="reader process stopped"):
            worker.load(Format.DOCX, make_docx(), "b.docx", "b.docx")
        assert worker.load(Format.PDF, make_pdf(PAGES), "c.pdf", "c.pdf").pages


_READ_AND_WAIT = """
import sys
from qa.ingest.detect import Format
from qa.ingest.worker import ParseWorker
from qa.settings import Settings

worker = ParseWorker(Settings(parse_seconds=600))
worker._started()
print(worker._process.pid, flush=True)
worker.load(Format.DOCX, open(sys.argv[1], "rb").read(), "runs.docx", "runs.docx")
"""


def test_a_reader_process_busy_with_a_file_ends_when_its_parent_is_killed(
    tmp_path: Path,
) -> None:
    runs = tmp_path / "runs.docx"
    runs.write_bytes(docx_of_tiny_runs())
    parent = subprocess.Popen(
        [sys.executable, "-c", _READ_AND_WAIT, str(runs)],
        cwd=Path(__file__).resolve().parents[3],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    time.sleep(1)  # the child is parsing now
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 15
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize(
    "overrides",
    [
        {"parse_seconds": 0},
        {"parse_seconds": -1.5},
        {"parse_seconds": "60"},
        {"parse_memory_bytes": 0},
        {"parse_memory_bytes": 1.5},
    ],
)
def test_the_parse_limits_are_validated_like_the_other_limits(overrides: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(overrides))):
        Settings(**overrides)
