from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from qa.ingest import load_paths
from qa.settings import Settings
from tests.conftest import FIXTURES
from tests.qa.ingest.test_pdf import PAGES, make_pdf

DOCS = FIXTURES / "documents"


def _export_page(number: int, body: str, title: str = "Harbor Review") -> str:
    return f"Page {number} - {title}\nP. {number}\n\n{body}\n"


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """Two good files and the four kinds of bad file a user's folder tends to hold."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(DOCS / "field-notes.md", folder / "field-notes.md")
    (folder / "mess-hall.txt").write_bytes(
        "# Mess Hall Menu\n\nCafé au lait and crème brûlée are served on Fridays.\n".encode(
            "latin-1"
        )
    )
    (folder / "empty.txt").write_bytes(b"")
    (folder / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    pdf = make_pdf(PAGES)
    (folder / "cut.pdf").write_bytes(pdf[: len(pdf) // 2])
    return folder


def test_bad_files_become_one_error_each_and_good_files_still_load(mixed: Path) -> None:
    result = load_paths([mixed])

    assert sorted(doc.id for doc in result.documents) == ["field-notes", "mess-hall"]
    menu = next(doc for doc in result.documents if doc.id == "mess-hall")
    assert "Café au lait and crème brûlée" in menu.text
    reasons = {Path(error.path).name: error.reason for error in result.errors}
    assert set(reasons) == {"empty.txt", "photo.txt", "cut.pdf"}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["photo.txt"] == "binary file, not a supported format"
    assert "truncated or damaged PDF" in reasons["cut.pdf"]


def test_folders_are_read_recursively_in_order_skipping_hidden_entries(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".cache").mkdir()
    shutil.copy(DOCS / "lakeland.txt", tmp_path / "b" / "lakeland.txt")
    shutil.copy(DOCS / "field-notes.md", tmp_path / "a-notes.md")
    (tmp_path / ".hidden.txt").write_text("secret draft")
    (tmp_path / ".cache" / "old.txt").write_text("stale copy")

    result = load_paths([tmp_path])

    assert [(doc.id, doc.source) for doc in result.documents] == [
        ("a-notes", "a-notes.md"),
        ("lakeland", "b/lakeland.txt"),
    ]
    assert result.errors == ()


def test_a_folder_is_read_for_its_supported_types_and_the_other_files_are_counted(
    tmp_path: Path,
) -> None:
    shutil.copy(DOCS / "field-notes.md", tmp_path / "notes.md")
    (tmp_path / "REPORT.TXT").write_text("The depot stores fuel for the winter.\n")
    (tmp_path / "b.csv").write_text("unit,boats\nharbour,12\n")
    (tmp_path / "C.py").write_text("print('patrol boats')\n")

    result = load_paths([tmp_path])

    assert sorted(doc.source for doc in result.documents) == ["REPORT.TXT", "notes.md"]
    assert sorted(Path(path).name for path in result.skipped) == ["C.py", "b.csv"]
    assert result.errors == ()


def test_a_file_named_on_its_own_is_read_by_its_content_whatever_its_name(
    tmp_path: Path,
) -> None:
    path = tmp_path / "depot.log"
    path.write_text("The depot stores fuel for the winter.\n")

    result = load_paths([path])

    assert [doc.id for doc in result.documents] == ["depot"]
    assert result.skipped == ()


def test_a_file_argument_is_shown_by_its_name_and_remembered_by_its_full_path() -> None:
    path = DOCS / "harbor_2031_CoastalDefenceReview.txt"
    (doc,) = load_paths([path]).documents

    assert doc.source == path.name
    assert doc.origin == str(path.resolve())
    assert doc.page_count == 4


def test_export_pages_across_a_folder_form_one_document_per_title(tmp_path: Path) -> None:
    (tmp_path / "p2.txt").write_text(_export_page(12, "Second page of the harbor review."))
    (tmp_path / "p1.txt").write_text(_export_page(11, "First page of the harbor review."))
    (tmp_path / "other.txt").write_text(_export_page(3, "A page of another report.", "Lake Plan"))
    shutil.copy(DOCS / "records.jsonl", tmp_path / "records.jsonl")

    result = load_paths([tmp_path])

    by_title = {doc.title: doc for doc in result.documents}
    assert [page.number for page in by_title["Harbor Review"].pages] == [11, 12]
    assert [page.number for page in by_title["Lake Plan"].pages] == [3]
    assert {"memo-7", "42"} <= {doc.id for doc in result.documents}


def test_jsonl_line_errors_are_reported_next_to_the_loaded_records(tmp_path: Path) -> None:
    (tmp_path / "batch.jsonl").write_text('{"id": "x", "text": "Fine."}\n{oops}\n')

    result = load_paths([tmp_path])

    assert [doc.id for doc in result.documents] == ["x"]
    (error,) = result.errors
    assert error.reason.startswith("line 2:")


def test_same_file_name_in_two_folders_keeps_both_documents(tmp_path: Path) -> None:
    for folder in ("east", "west"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "plan.md").write_text(f"# Plan\n\nThe {folder} plan.\n")

    ids = [doc.id for doc in load_paths([tmp_path]).documents]

    assert ids == ["plan", "west/plan.md#plan"]


def test_files_over_the_size_limit_and_missing_paths_are_errors(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("word " * 100)

    result = load_paths([big, tmp_path / "nope"], Settings(max_file_bytes=100))

    assert result.documents == ()
    assert sorted(error.reason for error in result.errors) == [
        "500 bytes, more than the limit of 100 (max_file_bytes)",
        "no such file or folder",
    ]


@pytest.mark.shared
def test_every_defense_document_loads_with_pages_where_marked(shared: Path) -> None:
    folder = shared / "corpus" / "defense-docs"
    result = load_paths([folder])

    assert result.errors == ()
    assert len(result.documents) == len(list(folder.glob("*.txt")))
    for doc in result.documents:
        text = (folder / doc.source).read_text(encoding="utf-8")
        marked = "\f" in text or "-----" in text.splitlines()
        assert (doc.pages is not None) == marked, doc.id


@pytest.mark.shared
def test_defense_documents_take_their_own_titles_where_they_read_as_titles(shared: Path) -> None:
    folder = shared / "corpus" / "defense-docs"
    titles = {doc.id: doc.title for doc in load_paths([folder]).documents}

    # Ids stay the file names: they key the index.
    assert set(titles) == {path.stem for path in folder.glob("*.txt")}
    assert titles["china_2019_DefenseWhitePaper"] == "China's National Defense in the New Era"
    assert titles["singapore_2004_NationalSecurityStrategy"] == "The Fight Against Terror"
    # Covers that open with a registration number, "DEFENCE" or a title that says only the
    # kind of document keep the file name's country and year.
    assert titles["southkorea_2020_DefenseWhitePaper"] == "Southkorea 2020 Defense White Paper"
    assert titles["australia_2020_DefenceStrategicUpdate"] == (
        "Australia 2020 Defence Strategic Update"
    )
    assert titles["us_2017_NationalSecurityStrategy"] == "Us 2017 National Security Strategy"
    not_titles = re.compile(
        r"contents|foreword|preface|message|ministry|copyright|\d{2}-\d{5}|\b(?:january|march|"
        r"june|october|december)\b|\]\(",
        re.IGNORECASE,
    )
    assert [t for t in titles.values() if not_titles.search(t) or len(t.split()) < 2] == []
