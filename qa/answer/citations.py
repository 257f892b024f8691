"""Citations: a quote from a retrieved passage, labelled with the page(s) it sits on."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from qa.types import Citation, Hit, table_rows

logger = logging.getLogger(__name__)

PageLocator = Callable[[str, tuple[int, ...], str], tuple[int, ...]]
"""``locate(doc_id, pages, quote)``: the pages among ``pages`` whose text holds ``quote``,
or ``()`` when that cannot be told."""


def cite(
    n: int,
    hit: Hit,
    quote: str,
    locate: PageLocator | None = None,
    rows: Sequence[int] = (),
) -> Citation:
    """Citation ``[n]`` of ``quote`` from ``hit``.

    A passage may span two pages; with ``locate`` the citation names only the page its quote
    actually sits on, so every label built from it (answer text, card, export) agrees.
    ``rows`` (indices into a table passage's rows) put the header and those rows on it.
    """
    chunk = hit.chunk
    table: tuple[tuple[str, ...], ...] = ()
    if rows:
        all_rows = table_rows(chunk.text)
        header = (all_rows[0],) if 0 not in rows else ()
        table = (*header, *(all_rows[i] for i in sorted(set(rows))))
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
        kind=chunk.kind,
        block_label=chunk.block_label,
        table=table,
    )
