"""Links from a citation to its page in the page viewer, and reading them back.

A link carries everything the viewer needs (document, page, quote) in its fragment, so a
citation opens its page from the chat, a compare column or a search result alike, and the
click never reaches the server as a navigation: the page script (``ui.app.HEAD``) hands the
fragment to the viewer.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

PREFIX = "#citeqa-page?"


class BadPageLink(ValueError):
    """A page link that does not name a document and a page number."""


@dataclass(frozen=True)
class PageLink:
    doc_id: str
    page: int
    quote: str | None = None


def page_href(doc_id: str, page: int, quote: str | None = None) -> str:
    fields: dict[str, str | int] = {"doc": doc_id, "p": page}
    if quote:
        fields["q"] = quote
    return PREFIX + urlencode(fields)


def parse_page_href(href: str) -> PageLink:
    """The inverse of ``page_href``; ``BadPageLink`` for anything else."""
    if not href.startswith(PREFIX):
        raise BadPageLink(f"not a page link: {href[:80]!r}")
    fields = parse_qs(href[len(PREFIX) :])
    try:
        (doc_id,) = fields["doc"]
        (page,) = fields["p"]
        number = int(page)
    except (KeyError, ValueError) as error:
        raise BadPageLink(f"not a page link: {href[:80]!r}") from error
    quote = fields.get("q", [None])[0]
    return PageLink(doc_id, number, quote)


def page_links_html(doc_id: str, pages: Sequence[int], quote: str | None = None) -> str:
    """ "Open page 16" (a link per page) for a source card; empty without pages."""
    if not pages:
        return ""
    links = " ".join(
        f'<a class="citeqa-page" href="{html.escape(page_href(doc_id, page, quote))}" '
        f'title="Show the whole page, with the quote marked">page {page}</a>'
        for page in pages
    )
    return f'<div class="citeqa-open-page">Open {links}</div>'
