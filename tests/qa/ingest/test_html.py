from __future__ import annotations

import pytest

from qa.errors import IngestError
from qa.ingest.html import load_html
from tests.conftest import FIXTURES


def _briefing():
    path = FIXTURES / "documents" / "briefing.html"
    return load_html(path.read_text(encoding="utf-8"), str(path), "briefing.html")


def test_headings_become_markdown_lines_and_blocks_paragraphs() -> None:
    doc = _briefing()
    blocks = doc.text.split("\n\n")

    assert blocks[0] == "# Island Logistics Briefing"
    assert blocks[1] == (
        "Supply ferries leave the mainland port every Tuesday and reach the outer islands "
        "by Thursday evening."
    )
    assert "## Fuel depots" in blocks
    assert "Depot A holds forty tanks." in blocks
    assert "Depot B holds twelve tanks." in blocks
    assert "Greenrock 7" in blocks


def test_scripts_styles_navigation_and_comments_are_dropped() -> None:
    text = _briefing().text

    for unwanted in ("secretTracking", "color: red", "Menu link text", "editor comment"):
        assert unwanted not in text


def test_title_comes_from_the_title_element_and_the_page_has_no_page_numbers() -> None:
    doc = _briefing()

    assert doc.title == "Island Logistics Briefing"
    assert doc.id == "briefing"
    assert doc.pages is None


def test_without_a_title_element_the_first_h1_names_the_page() -> None:
    doc = load_html("<html><body><h1>Port Survey</h1><p>Cranes.</p></body></html>", "x.html", None)
    assert doc.title == "Port Survey"


def test_page_with_only_scripts_is_an_error() -> None:
    with pytest.raises(IngestError, match="no text"):
        load_html("<html><script>run()</script></html>", "empty.html", None)
