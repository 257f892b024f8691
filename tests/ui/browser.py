"""Serving the app in a thread and driving it with headless Chromium, for the browser tests."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from qa import Engine
from tests.serving import serving_app
from ui.server import build_server

CHROMIUM = Path("/usr/bin/chromium")
# Set to a folder to keep the screenshots the browser tests take there (to look at them).
SHOT_DIR_ENV = "CITEQA_SHOT_DIR"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 60_000


@contextmanager
def serving(engine: Engine, upload_dir: Path) -> Iterator[str]:
    """The real server (API + chat) on a free loopback port, in a thread; yields its URL."""
    with serving_app(build_server(engine, upload_dir=upload_dir)) as url:
        yield url


@contextmanager
def chromium(sync_api: Any) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    # Assertions wait as long as actions do: a loaded machine answers slower than 5 s.
    sync_api.expect.set_options(timeout=TIMEOUT_MS)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_page(browser: Any, url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    try:
        yield page
    finally:
        context.close()


def cited_pages(label: str) -> list[int]:
    """``p. 16`` -> [16]; ``pp. 15-17`` -> [15, 16, 17]."""
    numbers = [int(n) for n in re.findall(r"\d+", label)]
    return list(range(numbers[0], numbers[-1] + 1))


def ask(page: Any, question: str) -> Any:
    """Ask in the chat and return the locator of the newest bot message."""
    messages = page.locator("#citeqa-chat .citeqa-message")
    before = messages.count()
    page.locator("#citeqa-question textarea").fill(question)
    page.locator("#citeqa-ask").click()
    page.wait_for_function(
        "n => document.querySelectorAll('#citeqa-chat .citeqa-message').length > n", arg=before
    )
    # The chat says "Searching" at once; the answer replaces it.
    page.wait_for_function("() => !document.querySelector('#citeqa-chat .citeqa-searching')")
    return messages.last


def snapshot(page: Any, name: str) -> None:
    """Save a screenshot of ``page`` as ``name``.png in ``$CITEQA_SHOT_DIR``, when it is set."""
    folder = os.environ.get(SHOT_DIR_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))
