"""Tables and figures in the browser: a table answer shows its rows as a table, and a figure
citation names the figure (the real server in a thread, headless Chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from qa import Engine
from tests.fakes import FakeEncoder
from tests.ui.browser import ask, chromium, open_page, serving

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

# Two pages of a coastal review with page marks: a sentence interrupted by a chart, and a
# pipe table between paragraphs.
REVIEW = """# Coastal Review 2031

The harbour board met in spring to review the year and agreed on its priorities, and

[Chart 6-1] Ports Visited by the Squadron

(As of May 2031) Aldport (1998) Bexhaven (2004) Corrin (2011)

the ferry operators promised new timetables for the summer season.
-----
Table 4-1: Cutter Fleet by Station

| Station | Cutters | Crews |
|---|---|---|
| North Sound | 4 | 60 |
| Outer Banks | 2 | 30 |

The board thanks every crew for a calm winter on the water.
"""


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("layout")
    documents = folder / "docs"
    documents.mkdir()
    (documents / "coastal_review.md").write_text(REVIEW, encoding="utf-8")
    engine = Engine.open(folder / "index", encoder=FakeEncoder())
    engine.add([documents])
    with serving(engine, folder / "index" / "uploads") as url:
        yield url
    engine.close()


@pytest.fixture
def page(server_url: str) -> Iterator[Any]:
    with chromium(sync_api) as browser, open_page(browser, server_url) as page:
        yield page


def test_table_answer_shows_the_matching_row_under_its_header(page: Any) -> None:
    message = ask(page, "How many cutters and crews are at the North Sound station?")
    assert message.locator(".citeqa-notfound").count() == 0
    table = message.locator(".citeqa-answer-table table.citeqa-table")
    assert [c.strip() for c in table.locator("th").all_inner_texts()] == [
        "Station",
        "Cutters",
        "Crews",
    ]
    assert [c.strip() for c in table.locator("tbody tr").first.locator("td").all_inner_texts()] == [
        "North Sound",
        "4",
        "60",
    ]
    assert "|" not in message.locator(".citeqa-answer").inner_text()
    assert "Table 4-1" in message.locator(".citeqa-answer-table figcaption").inner_text()
    card = message.locator(".citeqa-card").first
    assert card.locator(".citeqa-pages").inner_text().startswith("Table 4-1, p. 2")


def test_figure_citation_names_the_chart(page: Any) -> None:
    message = ask(page, "Which ports were visited by the squadron?")
    assert message.locator(".citeqa-notfound").count() == 0
    labels = message.locator(".citeqa-card .citeqa-pages").all_inner_texts()
    assert "Chart 6-1, p. 1" in labels
    assert "[Chart" not in message.locator(".citeqa-answer").inner_text()
