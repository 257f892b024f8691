"""Citations: a quote from a retrieved passage, labelled with the page(s) it sits on."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from typing import Protocol

from qa.types import Citation, Hit, table_rows

PageLocator = Callable[[str, tuple[int, ...], str], tuple[int, ...]]
"""``locate(doc_id, pages, quote)``: the pages among ``pages`` whose text holds ``quote``,
or ``()`` when that cannot be told."""

_SPACE = re.compile(r"\s+")
_HEADING_MARK = re.compile(r"^#+\s*", re.MULTILINE)


class PageSource(Protocol):
    """Where the cleaned pages are kept (an index, or the engine in front of it)."""

    def page_text(self, doc_id: str, numbers: Sequence[int]) -> str | None:
        """The cleaned text of the given pages joined in order, or None if any is missing."""
        ...


def squash(text: str) -> str:
    """Text reduced for matching a quote against a page: no heading marks, no spacing, no case.

    All whitespace goes, not just runs of it: a page keeps ``bio-\\nthreats`` where the
    paragraph (and so the quote) reads ``bio-threats``.
    """
    return _SPACE.sub("", _HEADING_MARK.sub("", text)).casefold()


def quote_pages(
    source: PageSource, doc_id: str, pages: Sequence[int], quote: str
) -> tuple[int, ...]:
    """The pages among ``pages`` whose cleaned text holds ``quote``.

    A quote wholly on one page gives that page; one running across a page break gives
    both; () when the stored pages do not hold it (or the document has no pages).
    """
    wanted = squash(quote)
    groups = [
        *((page,) for page in pages),
        *itertools.pairwise(pages),
        *([tuple(pages)] if len(pages) > 2 else []),
    ]
    for group in groups:
        text = source.page_text(doc_id, list(group))
        if text is not None and wanted in squash(text):
            return tuple(group)
    return ()


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
