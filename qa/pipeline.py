"""Files or Documents -> cleaned Documents -> chunks: the ingest half of the pipeline."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.chunking import chunk_paragraphs
from qa.clean import build_vocabulary, clean_document
from qa.clean.paragraphs import paragraphs, reading_pages
from qa.errors import IngestError
from qa.ingest import Progress, load_paths
from qa.settings import Settings
from qa.types import Chunk, Document

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChunkResult:
    """Chunks of every loaded document, the documents as loaded, and the files that failed."""

    chunks: tuple[Chunk, ...]
    documents: tuple[Document, ...]
    errors: tuple[IngestError, ...]


def chunk_paths(paths: Sequence[str | Path], settings: Settings | None = None) -> ChunkResult:
    """Load files and folders, clean them and cut them into chunks; bad files land in errors."""
    loaded = load_paths(paths, settings)
    chunks = chunk_documents(loaded.documents, settings)
    return ChunkResult(tuple(chunks), loaded.documents, loaded.errors)


@dataclass(frozen=True)
class Prepared:
    """A document after cleaning, with its chunks; its pages hold the text as it is quoted
    (prose rebuilt without the lifted blocks, which follow it; see ``reading_pages``)."""

    document: Document
    chunks: tuple[Chunk, ...]


def prepare_documents(
    docs: Sequence[Document],
    settings: Settings | None = None,
    *,
    progress: Progress | None = None,
) -> list[Prepared]:
    """Clean and chunk ``docs`` in order.

    The vocabulary that guides hyphen and ligature repair is built from all of ``docs``
    together, so passing a whole corpus at once repairs better than one document at a time.
    """
    if not docs:
        return []
    vocabulary = build_vocabulary(docs)
    prepared = []
    for done, doc in enumerate(docs):
        if progress is not None:
            progress("cleaning", done, len(docs))
        cleaned = clean_document(doc, vocabulary)
        found = paragraphs(cleaned)
        chunks = tuple(chunk_paragraphs(cleaned, found, settings))
        logger.debug("%s: %d chunks", doc.id, len(chunks))
        prepared.append(Prepared(reading_pages(cleaned, found), chunks))
    if progress is not None:
        progress("cleaning", len(docs), len(docs))
    return prepared


def chunk_documents(docs: Sequence[Document], settings: Settings | None = None) -> list[Chunk]:
    """The chunks of ``docs``, cleaned together (see ``prepare_documents``)."""
    return [chunk for item in prepare_documents(docs, settings) for chunk in item.chunks]
