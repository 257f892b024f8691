from __future__ import annotations

import pytest

from ui.pagelink import BadPageLink, PageLink, page_href, page_links_html, parse_page_href


def test_a_page_link_carries_document_page_and_quote_through_any_characters() -> None:
    link = PageLink("docs/white paper&2020", 232, 'The "Navy" operates 4 #frigates & more?')
    assert parse_page_href(page_href(link.doc_id, link.page, link.quote)) == link
    assert parse_page_href(page_href("wp", 3)) == PageLink("wp", 3, None)


@pytest.mark.parametrize(
    "href", ["#citeqa-src-1-2", "#citeqa-page?doc=wp", "#citeqa-page?doc=wp&p=three", ""]
)
def test_anything_else_is_refused(href: str) -> None:
    with pytest.raises(BadPageLink):
        parse_page_href(href)


def test_the_links_html_is_escaped_and_empty_without_pages() -> None:
    rendered = page_links_html("<wp>", [4, 5], "a <b>")
    assert "<wp>" not in rendered and "<b>" not in rendered
    assert rendered.count('class="citeqa-page"') == 2
    assert page_links_html("wp", []) == ""
