"""PDF files through pypdf, page by page: page N is the N-th page of the file."""

from __future__ import annotations

import io
from pathlib import PurePath

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

from qa.errors import IngestError
from qa.ingest.plain import clean_title, title_from_stem
from qa.settings import Settings
from qa.types import Document, Page

# pypdf reports damaged files through several exception families besides its own.
_DAMAGED = (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError)


def load_pdf(data: bytes, path: str, source: str | None, settings: Settings) -> Document:
    """One Document with a Page per PDF page; IngestError for encrypted or damaged files."""
    try:
        reader = PdfReader(io.BytesIO(data))
        _unlock(reader, path)
        count = len(reader.pages)
        if count > settings.max_pages:
            raise IngestError(
                path, f"{count} pages, more than the limit of {settings.max_pages} (max_pages)"
            )
        texts = [_page_text(reader, index, path) for index in range(count)]
        metadata_title = reader.metadata.title if reader.metadata else None
    except IngestError:
        raise
    except FileNotDecryptedError as error:
        raise IngestError(path, "encrypted PDF: a password is needed to read it") from error
    except _DAMAGED as error:
        raise IngestError(path, f"truncated or damaged PDF ({error})") from error
    if not any(text.strip() for text in texts):
        raise IngestError(path, "PDF has no extractable text (scanned pages need OCR first)")
    stem = PurePath(path).stem
    title = clean_title(metadata_title or "") or title_from_stem(stem)
    pages = tuple(Page(index + 1, text) for index, text in enumerate(texts))
    return Document(id=stem, title=title, pages=pages, source=source)


def _unlock(reader: PdfReader, path: str) -> None:
    if not reader.is_encrypted:
        return
    # Many PDFs are encrypted only to restrict printing: the empty user password opens them.
    try:
        opened = reader.decrypt("")
    except DependencyError as error:
        raise IngestError(path, f"encrypted PDF that pypdf cannot decrypt ({error})") from error
    if not opened:
        raise IngestError(path, "encrypted PDF: a password is needed to read it")


def _page_text(reader: PdfReader, index: int, path: str) -> str:
    try:
        text = reader.pages[index].extract_text()
    except _DAMAGED as error:
        raise IngestError(path, f"page {index + 1}: cannot extract text ({error})") from error
    return text.strip("\n")
