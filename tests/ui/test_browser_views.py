"""What the page looks like around the answers, in headless Chromium: the tabs, the page viewer
beside the chat, where a new result opens, upload progress, and the invented example
collection (invented documents, the fake encoder).

``CITEQA_SHOT_DIR=folder`` keeps the screenshots these tests take.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qa import Engine
from tests.fakes import FakeEncoder
from tests.ui.browser import ask, chromium, open_page, serving, snapshot
from ui.server import EXAMPLE_DIR

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

# A visible progress bar of Gradio's loading status.
VISIBLE_PROGRESS = (
    "() => [...document.querySelectorAll('.progress-level')].filter(e => e.offsetParent).length"
)


class SlowEncoder(FakeEncoder):
    """Takes its time over many texts, so that indexing lasts long enough to watch its
    progress (a question, one text, is quick)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(0.03 * len(texts) if len(texts) > 1 else 0)
        return super().encode(texts)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(sync_api) as browser:
        yield browser


@pytest.fixture
def example_url(tmp_path: Path) -> Iterator[str]:
    """A server over the example collection alone, as ``citeqa serve`` starts on an empty
    index; each test has its own, since adding documents changes it."""
    engine = Engine.open(tmp_path / "index", encoder=SlowEncoder())
    engine.add(EXAMPLE_DIR)
    with serving(engine, tmp_path / "index" / "uploads") as url:
        yield url
    engine.close()


@pytest.fixture
def page(browser: Any, example_url: str) -> Iterator[Any]:
    with open_page(browser, example_url) as page:
        yield page


def _note(folder: Path, name: str, sentences: int = 3) -> Path:
    path = folder / name
    lines = [
        f"The keepers of Gullwick counted {n + 12} grey seals on rock {n}."
        for n in range(sentences)
    ]
    path.write_text("Gullwick Seal Survey\n\n" + " ".join(lines) + "\n", encoding="utf-8")
    return path


def _uploaded(page: Any, stem: str) -> None:
    """Wait until the chosen files are uploaded (the list shows "name .txt" per file)."""
    box = page.locator("#citeqa-upload")
    expect(box).to_contain_text(re.compile(rf"{stem}\s*\.txt"))
    expect(box).not_to_contain_text("Uploading")


def test_clicking_the_documents_tab_again_and_again_keeps_one_tab_of_each(page: Any) -> None:
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_text(["Chat", "Compare", "Documents"])
    for name in ("Documents", "Chat", "Documents", "Compare", "Documents"):
        page.get_by_role("tab", name=name).click()
        expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")
    expect(tabs).to_have_text(["Chat", "Compare", "Documents"])
    expect(page.locator("#citeqa-documents")).to_be_visible()
    snapshot(page, "documents-tab-after-clicks")


# At 1440 px the options column once kept its width and squeezed the chat into 328 px.
@pytest.mark.parametrize("width", [1280, 1440])
def test_the_page_viewer_takes_the_options_place_and_the_chat_stays_wide(
    page: Any, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.get_by_label("Search only").check()
    page.get_by_label("Answer (extractive)").check()
    message = ask(page, "How many fighter aircraft does the Air Force fly?")
    message.locator("a.citeqa-cite").first.click()
    message.locator("a.citeqa-page").first.click()
    expect(page.locator("#citeqa-page-body mark").first).to_be_visible()
    options = page.locator("#citeqa-options")
    expect(options).to_be_hidden()
    page.wait_for_timeout(500)  # the panel slides open
    chat = page.locator("#citeqa-chat").bounding_box()
    viewer = page.locator("#citeqa-page-body").bounding_box()
    # Side by side, neither over the other, and the chat keeps half the window.
    assert chat["x"] + chat["width"] <= viewer["x"]
    assert chat["width"] >= 0.45 * width
    assert page.locator("#citeqa-question textarea").bounding_box()["width"] >= 0.3 * width
    snapshot(page, f"page-viewer-beside-chat-{width}")
    page.locator("#citeqa-page-close").click()
    expect(options).to_be_visible()
    # The options come back as they were left.
    expect(page.get_by_label("Answer (extractive)")).to_be_checked()


def test_search_results_open_at_their_top_with_the_best_hit_in_view(page: Any) -> None:
    ask(page, "How many fighter aircraft does the Air Force fly?")
    page.get_by_label("Search only").check()
    message = ask(page, "Defence Cyber Command specialists")
    cards = message.locator(".citeqa-card")
    assert cards.count() >= 8  # taller than the chat: where it opens matters
    page.wait_for_timeout(300)
    scroller = message.evaluate("m => m.closest('.bubble-wrap').getBoundingClientRect().toJSON()")
    label = page.locator("#citeqa-chat [data-testid=block-label]").bounding_box()
    first = cards.first.bounding_box()
    # The first (best) result is wholly in view, under the chat's label rather than beneath it.
    assert first["y"] >= label["y"] + label["height"]
    assert first["y"] + first["height"] <= scroller["bottom"]
    assert message.bounding_box()["y"] <= first["y"]
    expect(cards.first.locator(".citeqa-title")).to_be_in_viewport()
    snapshot(page, "search-only-result")


def test_upload_progress_is_drawn_once(page: Any, tmp_path: Path) -> None:
    files = [_note(tmp_path, f"survey-{n}.txt", sentences=200) for n in range(4)]
    page.get_by_role("tab", name="Documents").click()
    page.locator("#citeqa-upload input[type=file]").set_input_files([str(f) for f in files])
    _uploaded(page, "survey-3")
    page.locator("#citeqa-add").click()
    status = page.locator("#citeqa-status")
    drawn = []
    deadline = time.monotonic() + 120
    while "Indexed:" not in status.inner_text() and time.monotonic() < deadline:
        drawn.append(page.evaluate(VISIBLE_PROGRESS))
        if drawn[-1] and len(drawn) % 5 == 0:
            snapshot(page, "upload-progress")
        page.wait_for_timeout(100)
    expect(status).to_contain_text("4 added")
    assert max(drawn) == 1


def test_the_example_collection_says_so_and_leaves_when_own_documents_come(
    page: Any, tmp_path: Path
) -> None:
    chat = page.locator("#citeqa-chat")
    expect(chat).to_contain_text("Valdoria Defence White Paper 2024 is an invented example")
    examples = chat.locator("button.example")
    expect(examples.first).to_contain_text("(invented example)")
    snapshot(page, "landing-with-example")
    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#citeqa-documents")
    expect(table).to_contain_text("Valdoria Defence White Paper 2024 (invented example)")
    page.locator("#citeqa-upload input[type=file]").set_input_files(
        str(_note(tmp_path, "gullwick-seal-survey.txt"))
    )
    _uploaded(page, "gullwick-seal-survey")
    page.locator("#citeqa-add").click()
    status = page.locator("#citeqa-status")
    expect(status).to_contain_text("1 added")
    expect(status).to_contain_text(
        "Removed the invented example (Valdoria Defence White Paper 2024): the index holds "
        "your own documents now."
    )
    expect(table).to_contain_text("gullwick-seal-survey.txt")
    expect(table).not_to_contain_text("Valdoria")
    snapshot(page, "documents-after-own-upload")
    page.get_by_role("tab", name="Chat").click()
    expect(chat).to_contain_text("1 document")
    expect(chat).not_to_contain_text("invented example")
    message = ask(page, "How many fighter aircraft does the Air Force fly?")
    expect(message).not_to_contain_text("Valdoria")
