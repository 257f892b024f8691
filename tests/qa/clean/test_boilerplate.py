from __future__ import annotations

from qa.clean.boilerplate import strip_boilerplate, strip_markup
from qa.types import Document, Page


def test_image_placeholders_and_rules_go_tables_stay_for_the_block_stage() -> None:
    text = (
        "Intro line.\n![chart](media/image3.png)\n\n| Year | Ships |\n|---|---:|\n"
        "| 2030 | 41 |\n-----\nAfter the rule."
    )
    cleaned = strip_markup(text)
    assert "![" not in cleaned
    assert "\n-----\n" not in cleaned
    assert "| Year | Ships |\n|---|---:|\n| 2030 | 41 |" in cleaned
    assert "After the rule." in cleaned


def test_removed_lines_still_separate_paragraphs() -> None:
    assert strip_markup("First.\n-----\nSecond.") == "First.\n\nSecond."


def test_free_standing_dash_runs_go_table_rules_stay() -> None:
    cleaned = strip_markup("|a|b| |---|---| |2. Revised 812 --- 2031|x|")
    assert cleaned == "|a|b| |---|---| |2. Revised 812 2031|x|"


def test_control_characters_and_odd_spaces_go_bold_stays() -> None:
    assert strip_markup("**Note** \x07the\u00a0port\u200b  rules") == "**Note** the port rules"


BODIES = ["Tides rose.", "Gulls left.", "Fog came in.", "Boats waited.", "Wind fell."]


def test_running_title_and_page_number_on_most_pages_are_dropped() -> None:
    pages = tuple(
        Page(n, f"COASTAL REVIEW {n}\n{body}\n{n}") for n, body in enumerate(BODIES, start=1)
    )
    cleaned = strip_boilerplate(Document(id="d", title="Coastal Review", pages=pages))
    assert [p.text.strip() for p in cleaned.pages or ()] == BODIES


def test_lines_differing_in_figures_are_content() -> None:
    pages = tuple(Page(n, f"Tonnage {n * 7} kt\nText {n}.") for n in range(1, 6))
    cleaned = strip_boilerplate(Document(id="d", title="t", pages=pages))
    assert [p.text.split("\n")[0] for p in cleaned.pages or ()] == [
        f"Tonnage {n * 7} kt" for n in range(1, 6)
    ]


def test_short_documents_keep_repeated_lines() -> None:
    pages = (Page(1, "Header\nOne."), Page(2, "Header\nTwo."))
    cleaned = strip_boilerplate(Document(id="d", title="t", pages=pages))
    assert all("Header" in page.text for page in cleaned.pages or ())


def test_document_without_pages_is_cleaned_in_text() -> None:
    doc = Document(id="d", title="t", text="Para.\n![x](y.png)\nMore.")
    assert strip_boilerplate(doc).text == "Para.\n\nMore."
