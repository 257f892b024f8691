from __future__ import annotations

from pathlib import Path

import pytest

from qa.errors import IngestError
from qa.ingest.paged_text import has_page_marks, load_paged_text, split_pages
from qa.settings import Settings
from tests.conftest import FIXTURES

DOCS = FIXTURES / "documents"


def _load(path: Path, settings: Settings | None = None):
    text = path.read_text(encoding="utf-8")
    return load_paged_text(text, str(path), path.name, settings or Settings())


def test_dash_marks_number_pages_in_file_order_keeping_empty_pages() -> None:
    doc = _load(DOCS / "harbor_2031_CoastalDefenceReview.txt")

    assert [page.number for page in doc.pages] == [1, 2, 3, 4]
    assert doc.pages[1].text == ""
    assert doc.pages[2].text.startswith("# Foreword")
    assert "four new stations" in doc.pages[3].text
    assert all("-----" not in page.text.splitlines() for page in doc.pages)


def test_page_numbers_set_as_headings_by_converters_are_dropped() -> None:
    doc = _load(DOCS / "harbor_2031_CoastalDefenceReview.txt")

    assert doc.pages[3].text.startswith("## Chapter One: Coastal patrols")
    assert split_pages("# 12\nText.\n\n## 2031 budget") == ["Text.\n\n## 2031 budget"]


def test_form_feeds_split_pages_and_the_final_feed_adds_no_page() -> None:
    doc = _load(DOCS / "lakeland.txt")

    assert doc.page_count == 3
    assert "reservoirs are shared" in doc.pages[1].text
    assert doc.pages[2].text.startswith("The third page")


def test_id_is_the_file_stem_and_a_cover_fragment_leaves_the_file_name_title() -> None:
    doc = _load(DOCS / "harbor_2031_CoastalDefenceReview.txt")

    assert doc.id == "harbor_2031_CoastalDefenceReview"
    # The cover heading "COASTAL" says less than the file name.
    assert doc.title == "Harbor 2031 Coastal Defence Review"
    assert doc.source == "harbor_2031_CoastalDefenceReview.txt"


def test_the_first_heading_gives_the_title() -> None:
    assert _load(DOCS / "lakeland.txt").title == "Lakeland Water Report"


def test_a_converted_pdf_s_first_line_gives_the_title_and_the_id_stays_the_file_s(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kestrel_2030_CoastalDefenceReview.txt"
    path.write_text(
        "KESTREL ISLANDS COASTAL DEFENCE REVIEW FOR THE KDF\n\n"
        "The review sets out how the islands will guard their coast.\n\n-----\n\n"
        "Two patrol boats are based at the northern harbour.\n\n-----\n"
    )

    doc = _load(path)

    assert doc.title == "Kestrel Islands Coastal Defence Review for the KDF"
    assert doc.id == "kestrel_2030_CoastalDefenceReview"
    assert doc.page_count == 2


def test_only_whole_lines_of_five_dashes_are_page_marks() -> None:
    assert not has_page_marks("a table rule |-----|-----|\nand ------ six dashes\n")
    assert split_pages("one\n-----\ntwo\n-----  \nthree") == ["one", "two", "three"]


def test_more_pages_than_allowed_is_an_error() -> None:
    with pytest.raises(IngestError, match="max_pages"):
        _load(DOCS / "lakeland.txt", Settings(max_pages=2))
