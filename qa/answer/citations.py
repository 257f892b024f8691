"""Citations: a quote from a retrieved passage, labelled with the page(s) it sits on."""

from __future__ import annotations

import logging
from collections.abc import Callable

from qa.types import Citation, Hit

logger = logging.getLogger(__name__)

PageLocator = Callable[[str, tuple[int, ...], str], tuple[int, ...]]
"""``locate(doc_id, pages, quote)``: the pages among ``pages`` whose text holds ``quote``,
or ``()`` when that cannot be told."""


def cite(n: int, hit: Hit, quote: str, locate: PageLocator | None = None) -> Citation:
    """Citation ``[n]`` of ``quote`` from ``hit``.

    A passage may span two pages; with ``locate`` the citation names only the page its quote
    actually sits on, so every label built from it (answer text, card, export) agrees.
    """
    chunk = hit.chunk
    pages = chunk.pages
    if locate is not None and len(pages) > 1:
        pages = locate(chunk.doc_id, pages, quote) or pages
    return Citation(
        n=n,
        doc_id=chunk.doc_id,
        title=chunk.title,
        pages=pages,
        quote=quote,
        chunk_id=chunk.id,
        section=chunk.section,
        passage=chunk.text,
    )
