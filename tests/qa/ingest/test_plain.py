from __future__ import annotations

import pytest

from qa.ingest.plain import document_title, load_plain, title_from_stem
from tests.conftest import FIXTURES


@pytest.mark.parametrize(
    ("stem", "title"),
    [
        ("japan_2031_NationalDefenseStrategy", "Japan 2031 National Defense Strategy"),
        ("field-notes", "Field Notes"),
        ("ROKDefense2030", "ROK Defense 2030"),
        ("report", "Report"),
    ],
)
def test_titles_from_file_names_read_as_words(stem: str, title: str) -> None:
    assert title_from_stem(stem) == title


def test_markdown_without_page_marks_is_one_unpaged_document() -> None:
    path = FIXTURES / "documents" / "field-notes.md"
    doc = load_plain(path.read_text(encoding="utf-8"), str(path), "field-notes.md")

    assert doc.pages is None
    assert doc.id == "field-notes"
    assert doc.title == "Field Notes on Mountain Signals"
    assert "## Maintenance" in doc.text


def test_heading_far_into_the_text_is_not_taken_as_the_title() -> None:
    text = "Opening words without any heading.\n\n" + "filler line\n" * 500 + "# Chapter 9\n"
    assert document_title(text, "memo") == "Memo"


def test_emphasis_marks_are_dropped_from_a_heading_title() -> None:
    assert document_title("# **Border** `Watch` Plan\n\nText.", "bw") == "Border Watch Plan"
