"""The whole 2020 white paper served with the real model, asked in the browser (needs ../shared)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa import Engine
from tests.ui.browser import ask, chromium, cited_pages, open_page, serving

pytestmark = [pytest.mark.browser, pytest.mark.shared, pytest.mark.model, pytest.mark.slow]
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def white_paper_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pages = Path(__file__).resolve().parents[2].parent / "shared/corpus/rok-dwp-2020-pages"
    if not pages.is_dir():
        pytest.skip("../shared is absent")
    folder = tmp_path_factory.mktemp("white-paper")
    engine = Engine.open(folder / "index")
    engine.add([pages])
    with serving(engine, folder / "index" / "uploads") as url:
        yield url
    engine.close()


def test_peacekeeping_conference_question_cites_page_232(white_paper_url: str) -> None:
    with chromium(sync_api) as browser, open_page(browser, white_paper_url) as page:
        message = ask(page, "When will the MND co-host the UN Peacekeeping Ministerial Conference?")
        assert message.locator(".citeqa-notfound").count() == 0
        assert "April 2021" in message.locator(".citeqa-answer").inner_text()
        marker = message.locator("a.citeqa-cite").first
        card = page.locator(marker.get_attribute("href"))
        assert cited_pages(card.locator(".citeqa-pages").inner_text()) == [232]
