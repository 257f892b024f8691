"""Text with page marks: pages split by form feeds or by lines that are exactly ``-----``."""

from __future__ import annotations

import re
from pathlib import PurePath

from qa.errors import IngestError
from qa.ingest.plain import document_title
from qa.settings import Settings
from qa.types import Document, Page

_PAGE_BREAK = re.compile(r"\f|^-----[ \t]*$", re.MULTILINE)
# PDF-to-Markdown converters turn the printed page number into a heading ("#### 3"),
# which would otherwise become the section of everything on the page.
_NUMBER_HEADING = re.compile(r"^#{1,6}[ \t]+\d{1,4}[ \t]*$\n?", re.MULTILINE)


def has_page_marks(text: str) -> bool:
    return _PAGE_BREAK.search(text) is not None


def split_pages(text: str) -> list[str]:
    """The text of each page in order; the N-th item is page N.

    Pages without text stay in the list so that later page numbers are not shifted.
    """
    pages = [_NUMBER_HEADING.sub("", page).strip("\n") for page in _PAGE_BREAK.split(text)]
    # Converters end every page with a mark, the last one included.
    if len(pages) > 1 and not pages[-1].strip():
        pages.pop()
    return pages


def load_paged_text(text: str, path: str, source: str | None, settings: Settings) -> Document:
    """One Document whose page N is the N-th page of ``text``."""
    texts = split_pages(text)
    if len(texts) > settings.max_pages:
        raise IngestError(
            path, f"{len(texts)} pages, more than the limit of {settings.max_pages} (max_pages)"
        )
    pages = tuple(Page(number, page) for number, page in enumerate(texts, start=1))
    stem = PurePath(path).stem
    first_text = next((page for page in texts if page.strip()), "")
    return Document(id=stem, title=document_title(first_text, stem), pages=pages, source=source)
