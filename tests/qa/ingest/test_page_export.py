from __future__ import annotations

from pathlib import Path

import pytest

from qa.errors import IngestError
from qa.ingest.page_export import (
    ExportPage,
    group_page_exports,
    looks_like_page_export,
    parse_page_export,
)
from tests.conftest import FIXTURES

EXPORT = FIXTURES / "page_export"


def _read(name: str) -> str:
    return (EXPORT / name).read_text(encoding="utf-8")


def _parsed() -> list[ExportPage]:
    return [parse_page_export(_read(p.name), str(p)) for p in sorted(EXPORT.iterdir())]


def test_recognises_export_by_content() -> None:
    assert looks_like_page_export(_read("zz_first.txt"))
    assert not looks_like_page_export("Page 3 - Notes\nsome ordinary text\n")
    assert not looks_like_page_export("Page 3 - Notes\nP. 4\n\nbody")
    assert not looks_like_page_export("# Page 3 - Notes\nP. 3\n")


def test_header_gives_title_and_number_not_the_file_name() -> None:
    page = parse_page_export(_read("zz_first.txt"), "zz_first.txt")
    assert (page.title, page.number) == ("Harbour Safety Review", 14)


def test_footer_title_and_page_strip_are_dropped() -> None:
    page = parse_page_export(_read("zz_first.txt"), "zz_first.txt")
    assert "Harbour Safety Review 2031" not in page.text
    assert "\u00a0" not in page.text
    assert "13" not in page.text
    assert page.text.endswith("asked the ferry operators for")


def test_indent_marks_paragraphs_and_lone_lines_are_headings() -> None:
    text = parse_page_export(_read("zz_first.txt"), "zz_first.txt").text
    assert "rules.\n\nTraffic in the outer channel" in text
    assert "\n\n# 2. Training of Pilots\n\n" in text
    # Continuation lines lose their indentation and stay in their paragraph.
    assert "agreed on\nf ve priorities" in text
    assert "  " not in text


@pytest.mark.parametrize(
    ("first_line", "heading", "rest"),
    [
        (
            "Appendix 4 Harbour Fleets of the Two Coasts",
            "Appendix 4 Harbour Fleets of the Two Coasts",
            "",
        ),
        (
            "Appendix 6 Pilot Licences Issued **Class** **Year**",
            "Appendix 6 Pilot Licences Issued",
            "**Class** **Year**",
        ),
        (
            "Appendix 2 Comparing Port Budgets As of 2031",
            "Appendix 2 Comparing Port Budgets",
            "As of 2031",
        ),
        (
            "Appendix 9 Chronicle of Ferry Incidents March 1, 2030 - May",
            "Appendix 9 Chronicle of Ferry Incidents",
            "March 1, 2030 - May",
        ),
    ],
)
def test_a_page_opening_an_appendix_starts_with_its_title_as_a_heading(
    first_line: str, heading: str, rest: str
) -> None:
    body = f"{first_line}\n{' ' * 28}|2030|2031| |---|---| |12|14|\n"
    text = parse_page_export(f"Page 90 - Harbour Safety Review\nP. 90\n\n{body}", "p90.txt").text
    assert text.startswith(f"# {heading}\n")
    assert (rest in text) if rest else True


def test_a_sentence_about_a_chapter_is_no_heading() -> None:
    body = "Chapter 3 describes the pilots who guide ferries through the outer channel.\n"
    text = parse_page_export(f"Page 9 - Harbour Safety Review\nP. 9\n\n{body}", "p9.txt").text
    assert not text.startswith("#")


@pytest.mark.parametrize(
    "text",
    ["", "Page x - Title\nP. x\n", "Page 2 - Title\n", "Page 2 - Title\nP. 3\n\nbody"],
)
def test_bad_header_raises_ingest_error_naming_the_file(text: str) -> None:
    with pytest.raises(IngestError) as raised:
        parse_page_export(text, "scan/p2.txt")
    assert raised.value.path == "scan/p2.txt"


def test_pages_are_grouped_per_title_and_ordered_by_header_number() -> None:
    other = ExportPage("Another Report", 1, "Text of another report.", "/x/other.txt")
    docs = group_page_exports([*_parsed(), other])
    assert [d.title for d in docs] == ["Harbour Safety Review", "Another Report"]
    harbour = docs[0]
    assert [p.number for p in harbour.pages or ()] == [14, 15]
    assert harbour.id == "harbour-safety-review"
    assert harbour.is_book
    assert [p.origin for p in harbour.pages or ()] == [
        str(EXPORT / "zz_first.txt"),
        str(EXPORT / "aa_second.txt"),
    ]
    # A book names the folder of its page files, not one file.
    assert harbour.source == "page_export/"
    assert docs[1].source == "x/"


def test_repeated_page_keeps_the_first_file() -> None:
    first = ExportPage("Report", 3, "first copy", "/a/3.txt")
    second = ExportPage("Report", 3, "second copy", "/b/3.txt")
    (doc,) = group_page_exports([first, second])
    assert [p.text for p in doc.pages or ()] == ["first copy"]


@pytest.mark.shared
def test_shared_sample_page(shared: Path) -> None:
    files = sorted((shared / "corpus" / "page-export-sample").glob("*.txt"))
    pages = [parse_page_export(f.read_text(encoding="utf-8"), str(f)) for f in files]
    (doc,) = group_page_exports(pages)
    assert doc.title == "2020 Defence White Paper"
    assert [p.number for p in doc.pages or ()] == [232]
