"""Landing questions, the page viewer, compare mode, feedback and the searching state in
headless Chromium, on invented documents with the fake encoder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from qa import Engine
from tests.fakes import FakeEncoder
from tests.qa.editions import EDITIONS, NEW, OLD
from tests.ui.browser import ask, cited_pages, serving

# The browser, and a page on this module's server_url.
from tests.ui.test_browser import browser, page
from ui.examples import example_ids
from ui.server import EXAMPLE_DIR

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
__all__ = ["browser", "page"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    folder = tmp_path_factory.mktemp("analyst")
    engine = Engine.open(folder / "index", encoder=FakeEncoder())
    engine.add([EXAMPLE_DIR, EDITIONS])
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def server_url(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(engine, tmp_path_factory.mktemp("uploads")) as url:
        yield url


def test_the_landing_sums_up_the_collection_and_a_suggested_question_is_answered(
    page: Any, engine: Engine
) -> None:
    chat = page.locator("#citeqa-chat")
    expect(chat).to_contain_text("4 documents · 18 pages · 23 passages · updated ")
    examples = chat.locator("button.example")
    expect(examples.first).to_be_visible()
    suggestions = engine.overview().suggestions
    assert 4 <= examples.count() <= 6
    # Questions made from the invented example say so; the editions' are plain.
    invented = example_ids(engine.documents())
    assert [examples.nth(i).inner_text() for i in range(examples.count())] == [
        f"{s.question} (invented example)" if s.doc_id in invented else s.question
        for s in suggestions
    ]
    assert invented and {s.doc_id for s in suggestions} - invented
    examples.nth(2).click()
    message = chat.locator(".citeqa-message").last
    expect(message.locator(".citeqa-answer")).to_be_visible()
    expect(chat.locator(".message").first).to_contain_text(suggestions[2].question)
    assert suggestions[2].title in message.locator(".citeqa-title").first.inner_text()


def test_a_cited_page_opens_whole_with_the_quote_marked_and_turns(page: Any) -> None:
    message = ask(page, "How many fighter aircraft does the Air Force fly?")
    message.locator("a.citeqa-cite").first.click()
    link = message.locator("a.citeqa-page").first
    expect(link).to_have_text("page 16")
    link.click()
    viewer = page.locator("#citeqa-viewer")
    body = page.locator("#citeqa-page-body")
    expect(body).to_contain_text("Valdoria Defence White Paper 2024, p. 16 (page 5 of 8 stored)")
    mark = body.locator("mark")
    expect(mark.first).to_be_visible()
    assert "24 multirole fighter aircraft" in mark.first.inner_text()
    # The whole page: text around the quote that the cited passage does not hold.
    expect(body).to_contain_text("Highmoor Air Base will receive hardened aircraft shelters")
    viewer.locator("#citeqa-page-next").click()
    expect(body).to_contain_text("p. 17 (page 6 of 8 stored)")
    viewer.locator("#citeqa-page-prev").click()
    expect(body).to_contain_text("p. 16 (page 5 of 8 stored)")
    viewer.locator("#citeqa-page-prev").click()
    expect(body).to_contain_text("p. 15 (page 4 of 8 stored)")
    expect(body).not_to_contain_text("24 multirole fighter aircraft")


def test_compare_two_documents_side_by_side(page: Any) -> None:
    page.get_by_role("tab", name="Compare").click()
    picker = page.locator("#citeqa-compare-docs")
    for doc_id in (OLD, NEW):
        picker.locator("input").fill(doc_id)
        page.get_by_role("option", name=doc_id).click()
    page.locator("#citeqa-compare-question textarea").fill(
        "How many active soldiers does the Northmark Army comprise?"
    )
    page.locator("#citeqa-compare-ask").click()
    columns = page.locator("#citeqa-compare-result .citeqa-compare-column")
    expect(columns).to_have_count(2)
    old, new = columns.nth(0), columns.nth(1)
    expect(old.locator(".citeqa-compare-title")).to_have_text("Northmark Defence White Paper 2019")
    expect(new.locator(".citeqa-compare-title")).to_have_text("Northmark Defence White Paper 2021")
    expect(old.locator(".citeqa-answer")).to_contain_text("12,000 active soldiers")
    expect(new.locator(".citeqa-answer")).to_contain_text("14,500 active soldiers")
    assert cited_pages(new.locator(".citeqa-pages").first.inner_text()) == [3]
    # Side by side: the second column starts level with the first, to its right.
    first, second = old.bounding_box(), new.bounding_box()
    assert second["x"] > first["x"] + first["width"] - 1
    assert abs(second["y"] - first["y"]) < 2


def test_compare_reads_the_editions_from_the_question_and_says_not_found(page: Any) -> None:
    page.get_by_role("tab", name="Compare").click()
    page.locator("#citeqa-compare-question textarea").fill(
        "When was the Cyber Defence Unit established according to the 2019 and 2021 white papers?"
    )
    page.locator("#citeqa-compare-ask").click()
    columns = page.locator("#citeqa-compare-result .citeqa-compare-column")
    expect(columns).to_have_count(2)
    expect(columns.nth(0).locator(".citeqa-answer")).to_contain_text("established in 2017")
    expect(columns.nth(1).locator(".citeqa-notfound")).to_be_visible()


def test_a_thumb_on_an_answer_is_kept_with_its_citations(page: Any, engine: Engine) -> None:
    before = len(list(engine.feedback))
    ask(page, "How many corvettes does the Navy operate according to the 2021 white paper?")
    page.locator("#citeqa-chat").get_by_role("button", name="Dislike").last.click()
    expect(page.get_by_text("your verdict is saved")).to_be_visible()
    deadline = time.monotonic() + 10
    while len(list(engine.feedback)) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    latest = list(engine.feedback)[-1]
    assert latest.helpful is False
    assert latest.answer.question.startswith("How many corvettes does the Navy operate")
    assert latest.answer.citations and latest.answer.citations[0].quote


def test_the_chat_says_it_is_searching_at_once(
    page: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = engine.ask

    def slow_ask(*args: Any, **kwargs: Any) -> Any:
        time.sleep(2)
        return answer(*args, **kwargs)

    monkeypatch.setattr(engine, "ask", slow_ask)
    page.locator("#citeqa-question textarea").fill(
        "How many fighter aircraft does the Air Force fly?"
    )
    page.locator("#citeqa-ask").click()
    searching = page.locator("#citeqa-chat .citeqa-searching")
    expect(searching).to_be_visible(timeout=1500)
    expect(searching).to_have_count(0, timeout=15_000)
    expect(page.locator("#citeqa-chat .citeqa-answer")).to_have_count(1)


def test_search_results_are_collapsed_to_title_pages_and_first_line(page: Any) -> None:
    page.get_by_label("Search only").check()
    message = ask(page, "Defence Cyber Command specialists")
    cards = message.locator(".citeqa-card")
    assert cards.count() >= 2
    assert all(cards.nth(i).get_attribute("open") is None for i in range(cards.count()))
    first = cards.first
    expect(first.locator(".citeqa-preview")).to_be_visible()
    expect(first.locator(".citeqa-passage")).to_be_hidden()
    first.locator("summary").click()
    expect(first.locator(".citeqa-passage")).to_be_visible()
    expect(first.locator("a.citeqa-page").first).to_be_visible()
