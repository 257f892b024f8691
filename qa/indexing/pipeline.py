"""The ingest pipeline: sources -> loaded Documents -> cleaned pages -> chunks.

Used by ``Engine.add`` (and so the HTTP API and ``citeqa index``) and by ``citeqa chunks``.
A chunking ``recipe`` fingerprints what turns a document into chunks, so an index can tell
which documents were cut by other rules and cut them again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.clean import clean_document
from qa.clean.paragraphs import paragraphs, reading_pages
from qa.errors import IngestError
from qa.indexing.chunking import CHUNKING_VERSION, chunk_paragraphs
from qa.ingest import Progress, load_paths
from qa.settings import Settings
from qa.types import Chunk, Document

logger = logging.getLogger(__name__)

Source = str | Path | Document


def recipe(settings: Settings) -> dict[str, int]:
    """What decides a document's chunks besides its text: the cleaning and chunking rules'
    version and the chunk sizes."""
    return {
        "chunking_version": CHUNKING_VERSION,
        "chunk_min_words": settings.chunk_min_words,
        "chunk_max_words": settings.chunk_max_words,
    }


def content_hash(doc: Document, chunking: Mapping[str, int] | None = None) -> str:
    """Hash of what the loader read and of the ``chunking`` recipe (default: the default
    settings'), so a document unchanged on both counts is skipped before any cleaning, and
    one cut by other rules is cut again."""
    if chunking is None:
        chunking = recipe(Settings())
    digest = hashlib.sha1()
    for key, value in sorted(chunking.items()):
        digest.update(f"{key} {value}\x00".encode())
    digest.update(doc.title.encode())
    if doc.pages:
        for page in doc.pages:
            digest.update(f"\x00{page.number}\x00".encode())
            digest.update(page.text.encode())
    else:
        digest.update(b"\x01")
        digest.update(doc.text.encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Scan:
    """What one read of files and folders covered, so an update can tell what disappeared.

    ``folders`` were read whole (absolute paths); ``failed`` holds the absolute paths of files
    that could not be read this time, whose documents and pages are therefore kept.

    A read applied in batches also names everything it produced: ``documents`` (ids) and
    ``files`` (absolute paths of files and book pages). A batch leaves those alone unless it
    holds them itself: their own batch, or nobody when they are unchanged, takes care of them.
    """

    folders: tuple[str, ...] = ()
    failed: frozenset[str] = frozenset()
    documents: frozenset[str] = frozenset()
    files: frozenset[str] = frozenset()

    def covers(self, origin: str) -> bool:
        return origin not in self.failed and any(
            Path(origin).is_relative_to(folder) for folder in self.folders
        )


@dataclass(frozen=True)
class Ingested:
    """Documents read from sources (``Document``s given pass through), the files that could
    not be read, what the read covered and the files of folders it skipped (not of a supported
    type)."""

    documents: tuple[Document, ...]
    errors: tuple[IngestError, ...]
    scan: Scan
    skipped: tuple[str, ...] = ()


def check_sources(sources: Sequence[Source]) -> None:
    """``IngestError`` for the first path in ``sources`` that does not exist."""
    for source in sources:
        if not isinstance(source, Document) and not Path(source).exists():
            raise IngestError(str(source), "no such file or folder")


def read_sources(
    sources: Sequence[Source], settings: Settings | None = None, progress: Progress | None = None
) -> Ingested:
    """Load files and folders; ``IngestError`` for a path that does not exist, while a file
    that cannot be read lands in ``errors`` (and its previously indexed content is kept)."""
    check_sources(sources)
    given = [s for s in sources if isinstance(s, Document)]
    paths = [Path(s) for s in sources if not isinstance(s, Document)]
    loaded = load_paths(paths, settings, progress=progress)
    scan = Scan(
        folders=tuple(str(path.resolve()) for path in paths if path.is_dir()),
        failed=frozenset(str(Path(error.path).resolve()) for error in loaded.errors),
    )
    return Ingested((*given, *loaded.documents), loaded.errors, scan, loaded.skipped)


@dataclass(frozen=True)
class ChunkResult:
    """Chunks of every loaded document, the documents as loaded, the files that failed and
    those skipped."""

    chunks: tuple[Chunk, ...]
    documents: tuple[Document, ...]
    errors: tuple[IngestError, ...]
    skipped: tuple[str, ...] = ()


def chunk_paths(paths: Sequence[Source], settings: Settings | None = None) -> ChunkResult:
    """Load files and folders, clean them and cut them into chunks; bad files land in errors."""
    read = read_sources(paths, settings)
    chunks = chunk_documents(read.documents, settings)
    return ChunkResult(tuple(chunks), read.documents, read.errors, read.skipped)


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
    """Clean and chunk ``docs`` in order, each on its own (see ``clean_document``)."""
    if not docs:
        return []
    prepared = []
    for done, doc in enumerate(docs):
        if progress is not None:
            progress("cleaning", done, len(docs))
        cleaned = clean_document(doc)
        found = paragraphs(cleaned)
        chunks = tuple(chunk_paragraphs(cleaned, found, settings))
        logger.debug("%s: %d chunks", doc.id, len(chunks))
        prepared.append(Prepared(reading_pages(cleaned, found), chunks))
    if progress is not None:
        progress("cleaning", len(docs), len(docs))
    return prepared


def chunk_documents(docs: Sequence[Document], settings: Settings | None = None) -> list[Chunk]:
    """The chunks of ``docs`` (see ``prepare_documents``)."""
    return [chunk for item in prepare_documents(docs, settings) for chunk in item.chunks]
