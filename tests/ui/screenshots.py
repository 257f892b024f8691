"""Take the README's screenshots of the landing page, the page viewer and compare mode.

    python -m tests.ui.screenshots --index DIR [--out docs] [--compare QUESTION]

Serves the index at DIR (with the real model) on a free port and drives headless Chromium:
the landing view, the page viewer opened from the first suggested question's first citation,
and a comparison of two editions named in the question.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any

from playwright import sync_api

from qa import Engine
from tests.ui.browser import ask, chromium, open_page, serving

logger = logging.getLogger(__name__)

VIEWPORT = {"width": 1440, "height": 900}
TIMEOUT_MS = 300_000
DEFAULT_COMPARE = "What was the number of reservists according to the 2018 and 2022 white papers?"


def _landing(page: Any, out: Path) -> None:
    page.locator("#citeqa-chat button.example").first.wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=str(out / "landing.png"))


def _page_viewer(page: Any, out: Path) -> None:
    question = page.locator("#citeqa-chat button.example").first.inner_text()
    message = ask(page, question)
    message.locator("a.citeqa-cite").first.click()
    message.locator("a.citeqa-page").first.click()
    page.locator("#citeqa-page-body mark").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1000)  # the panel slides open and scrolls to the quote
    page.screenshot(path=str(out / "page-viewer.png"))


def _compare(page: Any, out: Path, question: str) -> None:
    page.get_by_role("tab", name="Compare").click()
    page.locator("#citeqa-compare-question textarea").fill(question)
    page.locator("#citeqa-compare-ask").click()
    page.locator("#citeqa-compare-result .citeqa-compare-column").first.wait_for(timeout=TIMEOUT_MS)
    page.screenshot(path=str(out / "compare.png"), full_page=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--index", required=True, help="index folder (not written to)")
    parser.add_argument("--out", default="docs", help="folder for the PNG files")
    parser.add_argument("--compare", default=DEFAULT_COMPARE, help="question for compare.png")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    out = Path(args.out)
    engine = Engine.open(args.index, create=False)
    with serving(engine, Path(args.index) / "uploads") as url, chromium(sync_api) as browser:
        with open_page(browser, url) as page:
            page.set_viewport_size(VIEWPORT)
            page.set_default_timeout(TIMEOUT_MS)
            _landing(page, out)
            _page_viewer(page, out)
        with open_page(browser, url) as page:
            page.set_viewport_size(VIEWPORT)
            page.set_default_timeout(TIMEOUT_MS)
            _compare(page, out, args.compare)
    engine.close()


if __name__ == "__main__":
    main()
