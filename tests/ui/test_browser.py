"""The real server in a thread, driven by headless Chromium through Playwright.

Set ``CITEQA_SCREENSHOT=docs/chat.png`` to refresh the README screenshot while testing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa import Engine
from tests.fakes import FakeEncoder
from tests.ui.browser import ask, chromium, cited_pages, open_page, serving
from ui.server import EXAMPLE_DIR

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("served")
    engine = Engine.open(folder / "index", encoder=FakeEncoder())
    engine.add(EXAMPLE_DIR)
    with serving(engine, folder / "index" / "uploads") as url:
        yield url
    engine.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(sync_api) as browser:
        yield browser


@pytest.fixture
def page(browser: Any, server_url: str) -> Iterator[Any]:
    with open_page(browser, server_url) as page:
        yield page


def test_answer_cites_the_right_page_and_its_card_highlights_the_quote(page: Any) -> None:
    message = ask(page, "How many fighter aircraft does the Air Force fly?")
    assert message.locator(".citeqa-notfound").count() == 0
    marker = message.locator("a.citeqa-cite").first
    assert marker.inner_text() == "[1]"
    card = page.locator(marker.get_attribute("href"))
    # The passage spans pages 15-16; the citation names the page the quote sits on.
    assert cited_pages(card.locator(".citeqa-pages").inner_text()) == [16]
    assert card.get_attribute("open") is None
    marker.click()
    page.wait_for_function(
        "id => document.getElementById(id).open", arg=marker.get_attribute("href")[1:]
    )
    quote = card.locator("mark")
    assert quote.is_visible()
    assert "24 multirole fighter aircraft" in quote.inner_text()
    assert "by meaning" in card.locator("summary").get_attribute("title")
    screenshot = os.environ.get("CITEQA_SCREENSHOT")
    if screenshot:
        page.screenshot(path=screenshot)


def test_a_question_the_documents_cannot_answer_shows_not_found(page: Any) -> None:
    message = ask(page, "What is the capital of France?")
    notice = message.locator(".citeqa-notfound")
    assert notice.is_visible()
    assert "Not found" in notice.inner_text()
    assert message.locator(".citeqa-answer").count() == 0


def test_search_only_mode_lists_passages_with_pages(page: Any) -> None:
    page.get_by_label("Search only").check()
    message = ask(page, "Defence Cyber Command specialists")
    cards = message.locator(".citeqa-card")
    assert cards.count() >= 1
    assert 17 in cited_pages(cards.first.locator(".citeqa-pages").inner_text())
    # Closed, a result shows its first line; opened, the whole passage.
    cards.first.locator("summary").click()
    assert "900 military and civilian specialists" in cards.first.inner_text()


def test_conversation_exports_as_markdown_with_citations(page: Any, tmp_path: Path) -> None:
    ask(page, "What is the defence budget for 2024?")
    export = page.locator("#citeqa-export")
    expect(export).to_be_enabled()
    with page.expect_download() as download:
        export.click()
    saved = tmp_path / "conversation.md"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert "## Q: What is the defence budget for 2024?" in text
    assert "[1] Valdoria Defence White Paper 2024, p" in text
    assert "> The defence budget for 2024 is set at 14.2 billion crowns" in text


def test_a_refused_question_is_said_in_the_chat_and_nothing_is_lost(page: Any) -> None:
    ask(page, "How many fighter aircraft does the Air Force fly?")
    too_long = "Why " + "really " * 400 + "?"
    message = ask(page, too_long)
    error = message.locator(".citeqa-error")
    assert error.is_visible()
    assert "characters long; the limit is 2000" in error.inner_text()
    # The earlier answer is still there, and the question waits in the box to be fixed.
    assert page.locator("#citeqa-chat .citeqa-answer").count() == 1
    expect(page.locator("#citeqa-question textarea")).to_have_value(too_long)
    assert page.locator("text=Error").count() == 0


def test_the_chosen_mode_is_visibly_selected(page: Any) -> None:
    page.get_by_label("Search only").check()
    fill = "e => getComputedStyle(e).backgroundColor"
    chosen = page.get_by_label("Search only").evaluate(fill)
    other = page.get_by_label("Answer (extractive)").evaluate(fill)
    assert chosen != other


def test_a_follow_up_shows_what_it_searched_and_it_can_be_edited(page: Any) -> None:
    ask(page, "How many fighter aircraft does the Air Force fly?")
    message = ask(page, "What about the Navy?")
    searched = message.locator(".citeqa-resolved")
    expect(searched).to_contain_text("Searched for: How many fighter aircraft does the Navy fly?")
    searched.click()
    box = page.locator("#citeqa-question textarea")
    expect(box).to_have_value("How many fighter aircraft does the Navy fly?")
    box.fill("How many frigates does the Navy operate?")
    page.locator("#citeqa-ask").click()
    expect(page.locator("#citeqa-chat .citeqa-message")).to_have_count(3)


def test_the_question_is_shown_as_typed(page: Any) -> None:
    typed = "<b>bold</b> **stars** $$x^2$$ <script>window.hit = 1</script> `code` [a](b)"
    ask(page, typed)
    shown = page.locator("#citeqa-chat .citeqa-question").last
    expect(shown).to_have_text(typed)
    assert shown.locator("b, strong, code, a, .katex, script").count() == 0
    assert page.evaluate("() => window.hit") is None
