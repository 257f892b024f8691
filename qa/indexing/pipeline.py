"""The ingest pipeline: sources -> loaded Documents -> cleaned pages -> chunks.

The one reading of sources (``SourceReading``) and the one cleaning and chunking
(``prepare_documents``) for ``Engine.add`` (and so the HTTP API and
``citeqa index``; see ``qa.indexing.batches``) and for ``citeqa chunks`` (``chunk_paths``).
A chunking ``recipe`` fingerprints what turns a document into chunks, so an index can tell
which documents were cut by other rules and cut them again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.clean import clean_document
from qa.clean.paragraphs import paragraphs, reading_pages
from qa.errors import IngestError
from qa.indexing.chunking import CHUNKING_VERSION, chunk_paragraphs
from qa.ingest import Progress, Reading
from qa.settings import Settings
from qa.types import Chunk, Document

logger = logging.getLogger(__name__)

Source = str | Path | Document


def recipe(settings: Settings) -> dict[str, int]:
    """What decides what the index holds of a document besides its text: the cleaning and
    chunking rules' version, the chunk sizes, and whether its sentences' vectors are kept
    (so that an index built without them gains them when its documents are indexed again)."""
    return {
        "chunking_version": CHUNKING_VERSION,
        "chunk_min_words": settings.chunk_min_words,
        "chunk_max_words": settings.chunk_max_words,
        "answer_vectors": int(settings.answer_vectors),
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


def check_sources(sources: Sequence[Source]) -> None:
    """``IngestError`` for the first path in ``sources`` that does not exist."""
    for source in sources:
        if not isinstance(source, Document) and not Path(source).exists():
            raise IngestError(str(source), "no such file or folder")


class SourceReading:
    """The documents of ``sources``, read one at a time: the ``Document``s given first, then
    those of the files and folders (see ``qa.ingest.Reading``).

    A path that does not exist raises ``IngestError`` at once; a file that cannot be read
    lands in ``errors`` as the iteration reaches it (and its previously indexed content is
    kept), the files of folders that are not of a supported type in ``skipped``.
    """

    def __init__(
        self,
        sources: Sequence[Source],
        settings: Settings | None = None,
        *,
        progress: Progress | None = None,
    ) -> None:
        check_sources(sources)
        self.given = [s for s in sources if isinstance(s, Document)]
        self.paths = [Path(s) for s in sources if not isinstance(s, Document)]
        self._reading = Reading(self.paths, settings, progress=progress)

    def __iter__(self) -> Iterator[Document]:
        yield from self.given
        yield from self._reading

    @property
    def errors(self) -> tuple[IngestError, ...]:
        return tuple(self._reading.errors)

    @property
    def skipped(self) -> tuple[str, ...]:
        return tuple(self._reading.skipped)

    def scan(self, documents: Iterable[str] = (), files: Iterable[str] = ()) -> Scan:
        """What this read covered, once iterated; ``documents`` and ``files`` are what it
        produced, for an update applied in batches (see ``Scan``)."""
        return Scan(
            folders=tuple(str(path.resolve()) for path in self.paths if path.is_dir()),
            failed=frozenset(str(Path(error.path).resolve()) for error in self._reading.errors),
            documents=frozenset(documents),
            files=frozenset(files),
        )


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
    reading = SourceReading(paths, settings)
    documents = tuple(reading)
    chunks = chunk_documents(documents, settings)
    return ChunkResult(tuple(chunks), documents, reading.errors, reading.skipped)


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
