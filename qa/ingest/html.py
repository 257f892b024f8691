"""HTML pages through BeautifulSoup and lxml: headings become ``#`` lines, blocks paragraphs."""

from __future__ import annotations

from pathlib import PurePath

from bs4 import BeautifulSoup, NavigableString, PageElement, Tag
from bs4.element import PreformattedString

from qa.errors import IngestError
from qa.ingest.plain import clean_title, title_from_stem
from qa.types import Document

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
    blocks = _Blocks()
    blocks.walk(soup)
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


class _Close:
    """Marks the end of a block element on the walk's stack."""


_CLOSE = _Close()


class _Blocks:
    """Collects the text of block elements in document order, one paragraph per block."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self._open: list[str] = []

    def walk(self, root: Tag) -> None:
        # An explicit stack, not recursion: hostile pages nest tags far deeper than
        # Python's recursion limit, and real pages a few hundred levels deep must still read.
        stack: list[PageElement | _Close] = [*reversed(root.contents)]
        while stack:
            node = stack.pop()
            if isinstance(node, _Close):
                self._flush()
            elif isinstance(node, PreformattedString):
                continue  # comments, doctypes, processing instructions
            elif isinstance(node, NavigableString):
                self._open.append(str(node))
            elif isinstance(node, Tag):
                stack.extend(self._enter(node))

    def _enter(self, tag: Tag) -> list[PageElement | _Close]:
        """What to visit next for ``tag``, in reverse order (it goes on a stack)."""
        level = _HEADING_LEVELS.get(tag.name)
        if level is not None:
            self._flush()
            heading = " ".join(tag.get_text(" ").split())
            if heading:
                self.done.append(f"{'#' * level} {heading}")
            return []
        if tag.name == "br" or tag.name in _CELLS:
            self._open.append(" ")
        if tag.name not in _BLOCKS:
            return [*reversed(tag.contents)]
        self._flush()
        return [_CLOSE, *reversed(tag.contents)]

    def _flush(self) -> None:
        text = " ".join("".join(self._open).split())
        self._open.clear()
        if text:
            self.done.append(text)
