"""Books: a page export arrives page by page; each update completes a book from the index.

Pages already indexed stay when new pages come, and pages whose files vanished from a folder
that was read again leave it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from qa.index.base import Index
from qa.indexing.pipeline import Scan
from qa.ingest.page_export import book_source
from qa.types import Document, Page


def _book(doc_id: str, title: str, pages: Iterable[Page]) -> Document:
    ordered = tuple(sorted(pages, key=lambda page: page.number))
    origins = [page.origin for page in ordered if page.origin]
    return Document(id=doc_id, title=title, pages=ordered, source=book_source(origins) or None)


def combine(documents: Sequence[Document]) -> list[Document]:
    """One document per id: pages of the same book given twice join (the later page wins)."""
    by_id: dict[str, Document] = {}
    for doc in documents:
        first = by_id.get(doc.id)
        if first is None:
            by_id[doc.id] = doc
        elif first.is_book and doc.is_book:
            pages = {page.number: page for page in (*(first.pages or ()), *(doc.pages or ()))}
            by_id[doc.id] = _book(doc.id, doc.title, pages.values())
        else:
            raise ValueError(f"two documents in one update have the id {doc.id!r}")
    return list(by_id.values())


def assemble(
    store: Index, documents: Sequence[Document], scan: Scan
) -> tuple[list[Document], list[str]]:
    """Incoming documents completed from the index, and the ids of documents that are gone.

    A book's new pages join the pages already indexed; pages whose files vanished from a
    folder that was read again leave it (and a book left without pages leaves the index). A
    document whose file vanished, or whose file was read again without producing it, goes.
    """
    read_files = {doc.origin for doc in documents if doc.origin}
    read_pages = {
        page.origin: (doc.id, page.number)
        for doc in documents
        if doc.is_book
        for page in doc.pages or ()
        if page.origin
    }
    # What other batches of the same read hold counts as read and incoming: it is theirs.
    read = read_files | set(read_pages) | scan.files
    incoming = {doc.id for doc in documents} | scan.documents
    stored_origins = store.document_origins()
    removed = [
        doc_id
        for doc_id, origin in stored_origins.items()
        if origin and doc_id not in incoming and (origin in read or scan.covers(origin))
    ]
    page_origins = store.page_origins()
    dropped: dict[str, set[int]] = {}
    for origin, (doc_id, number) in page_origins.items():
        if origin in read_pages:
            if read_pages[origin] == (doc_id, number):
                continue
        elif origin in scan.files or not (origin in read or scan.covers(origin)):
            continue
        dropped.setdefault(doc_id, set()).add(number)

    # A book has no file of its own; indexes written before books kept pages recorded the
    # folder they were read from instead.
    books = {doc_id for doc_id, _ in page_origins.values()}
    books |= {d for d, origin in stored_origins.items() if not origin or Path(origin).is_dir()}
    assembled = []
    for doc in documents:
        if doc.is_book and doc.id in books:
            gone = dropped.get(doc.id, set())
            pages = {p.number: p for p in store.book_pages(doc.id) if p.number not in gone}
            pages.update((page.number, page) for page in doc.pages or ())
            doc = _book(doc.id, doc.title, pages.values())
        assembled.append(doc)
    titles = store.document_titles()
    for doc_id, gone in dropped.items():
        if doc_id in incoming:
            continue
        remaining = [page for page in store.book_pages(doc_id) if page.number not in gone]
        if remaining:
            assembled.append(_book(doc_id, titles[doc_id], remaining))
        else:
            removed.append(doc_id)
    return assembled, removed
