"""HTML pages through BeautifulSoup and lxml: headings become ``#`` lines, blocks paragraphs."""

from __future__ import annotations

import logging
from pathlib import PurePath

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from qa.errors import IngestError
from qa.ingest.plain import clean_title, title_from_stem
from qa.types import Document

logger = logging.getLogger(__name__)

_DROPPED = ("script", "style", "nav", "noscript", "template", "svg", "iframe", "object")
_HEADING_LEVELS = {f"h{level}": level for level in range(1, 7)}
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
        "header", "hr", "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody",
        "thead", "tfoot", "tr", "ul",
    }
)  # fmt: skip
_CELLS = frozenset({"td", "th"})


def load_html(text: str, path: str, source: str | None) -> Document:
    """One Document without pages; IngestError when the page has no readable text."""
    soup = BeautifulSoup(text, "lxml")
    page_title = soup.title.get_text(" ") if soup.title else ""
    for tag in soup.find_all(_DROPPED):
        tag.decompose()
    if soup.head:
        soup.head.decompose()
    try:
        blocks = _Blocks()
        blocks.walk(soup)
    except RecursionError as error:
        raise IngestError(path, "HTML nested too deeply to read") from error
    body = "\n\n".join(blocks.done)
    if not body.strip():
        raise IngestError(path, "HTML page has no text")
    first_h1 = soup.find("h1")
    stem = PurePath(path).stem
    title = (
        clean_title(page_title)
        or (clean_title(first_h1.get_text(" ")) if first_h1 else "")
        or title_from_stem(stem)
    )
    return Document(id=stem, title=title, text=body, source=source)


class _Blocks:
    """Collects the text of block elements in document order, one paragraph per block."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self._open: list[str] = []

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, PreformattedString):
                continue  # comments, doctypes, processing instructions
            if isinstance(child, NavigableString):
                self._open.append(str(child))
            elif isinstance(child, Tag):
                self._visit(child)

    def _visit(self, tag: Tag) -> None:
        level = _HEADING_LEVELS.get(tag.name)
        if level is not None:
            self._flush()
            heading = " ".join(tag.get_text(" ").split())
            if heading:
                self.done.append(f"{'#' * level} {heading}")
            return
        if tag.name == "br" or tag.name in _CELLS:
            self._open.append(" ")
        block = tag.name in _BLOCKS
        if block:
            self._flush()
        self.walk(tag)
        if block:
            self._flush()

    def _flush(self) -> None:
        text = " ".join("".join(self._open).split())
        self._open.clear()
        if text:
            self.done.append(text)
