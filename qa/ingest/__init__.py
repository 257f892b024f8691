"""Loading: files and folders in every supported format -> Documents, bad files -> errors.

One loader per format, chosen by content (``detect``); PDF and Word files are parsed in a
bounded child process (``worker``). Imports the ground floor only (``qa.types``,
``qa.settings``, ``qa.errors``, ``qa.text``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from qa.errors import IngestError
from qa.ingest.detect import Format, detect_format
from qa.ingest.jsonl import parse_jsonl
from qa.ingest.page_export import ExportPage, group_page_exports, parse_page_export
from qa.ingest.paged_text import load_paged_text
from qa.ingest.plain import load_plain
from qa.ingest.worker import BOUNDED_FORMATS, ParseWorker
from qa.settings import Settings
from qa.types import Document

logger = logging.getLogger(__name__)

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "LoadResult",
    "Progress",
    "Reading",
    "load_paths",
    "skipped_line",
]

# What a folder is read for. A user's folder also holds spreadsheets, code and images, which
# the plain-text loader would take for documents; a file named on its own is read by its
# content whatever its name.
SUPPORTED_EXTENSIONS = frozenset(
    {".txt", ".text", ".md", ".markdown", ".pdf", ".html", ".htm", ".xhtml", ".docx"}
    | {".jsonl", ".ndjson"}
)

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``: stages ``reading`` (files), ``cleaning``
(documents) and ``embedding`` (chunks) of one update, and ``indexing`` (characters of changed
text, across all the batches of a streamed update)."""


@dataclass(frozen=True)
class LoadResult:
    """``skipped`` are the files of folders that are not of a supported type."""

    documents: tuple[Document, ...]
    errors: tuple[IngestError, ...]
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class _File:
    """``path`` opens the file; ``source`` is how documents name it (relative to the folder
    given, or the file name); ``origin`` is its absolute path."""

    path: Path
    source: str

    @property
    def origin(self) -> str:
        return str(self.path.resolve())


def load_paths(
    paths: Sequence[str | Path],
    settings: Settings | None = None,
    *,
    progress: Progress | None = None,
) -> LoadResult:
    """Load files and folders (recursively, in sorted order, skipping hidden entries).

    Never raises for a bad file: each one lands in ``errors`` with its path and the reason.
    Page-export files are gathered across all ``paths`` and grouped by title into books.
    Every document (and every page of a book) carries the absolute path it was read from.
    """
    reading = Reading(paths, settings, progress=progress)
    documents = tuple(reading)
    return LoadResult(documents, tuple(reading.errors), tuple(reading.skipped))


class Reading:
    """The documents of files and folders, read one file at a time (see ``load_paths``).

    Iterating loads each file as it is reached, so a caller that does not keep the documents
    holds one file's worth at a time; page-export pages are the exception, gathered until the
    end and then yielded as books. ``errors`` fills up as the iteration goes, and ``skipped``
    with the files in folders that are not of a ``SUPPORTED_EXTENSIONS`` type.
    """

    def __init__(
        self,
        paths: Sequence[str | Path],
        settings: Settings | None = None,
        *,
        progress: Progress | None = None,
    ) -> None:
        self.paths = [Path(path) for path in paths]
        self.settings = settings or Settings()
        self.progress = progress
        self.errors: list[IngestError] = []
        self.skipped: list[str] = []

    def __iter__(self) -> Iterator[Document]:
        self.errors = []
        self.skipped = []
        exports: list[ExportPage] = []
        taken: set[str] = set()
        files = self._listed()
        with ParseWorker(self.settings) as worker:
            for done, file in enumerate(files):
                if self.progress is not None:
                    self.progress("reading", done, len(files))
                loaded = self._load(file, worker)
                if isinstance(loaded, ExportPage):
                    exports.append(loaded)
                elif loaded is not None:
                    for doc in loaded.documents:
                        yield _unique_id(replace(doc, origin=file.origin), taken)
                    self.errors.extend(loaded.errors)
        if self.progress is not None:
            self.progress("reading", len(files), len(files))
        if exports:
            for doc in _grouped_exports(exports, self.settings, self.errors):
                yield _unique_id(doc, taken)

    def _listed(self) -> list[_File]:
        files: list[_File] = []
        for argument in self.paths:
            try:
                listed = list(_files(argument))
            except IngestError as error:
                self.errors.append(error)
                continue
            for file in listed:
                if argument.is_dir() and file.path.suffix.lower() not in SUPPORTED_EXTENSIONS:
                    self.skipped.append(str(file.path))
                else:
                    files.append(file)
        if self.skipped:
            logger.info("skipped %d files of unsupported types", len(self.skipped))
        return files

    def _load(self, file: _File, worker: ParseWorker) -> LoadResult | ExportPage | None:
        try:
            return _load_file(file, self.settings, worker)
        except IngestError as error:
            self.errors.append(error)
        except Exception as error:
            # Untrusted input: a parser bug on one odd file must not stop the others.
            logger.exception("unexpected failure reading %s", file.path)
            self.errors.append(IngestError(str(file.path), f"cannot read: {error!r}"))
        return None


def skipped_line(skipped: Sequence[str]) -> str:
    """What to tell the user about ``skipped`` files: ``3 files skipped, not of a supported
    type (.csv, .py)``."""
    types = sorted({Path(path).suffix.lower() or "no extension" for path in skipped})
    files = "file" if len(skipped) == 1 else "files"
    return f"{len(skipped)} {files} skipped, not of a supported type ({', '.join(types)})"


def _files(argument: Path) -> Iterator[_File]:
    if argument.is_file():
        yield _File(argument, argument.name)
        return
    if not argument.is_dir():
        raise IngestError(str(argument), "no such file or folder")
    for path in sorted(argument.rglob("*")):
        relative = path.relative_to(argument)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        yield _File(path, relative.as_posix())


def _load_file(file: _File, settings: Settings, worker: ParseWorker) -> LoadResult | ExportPage:
    """A page of a page export (grouped later), else the file's documents and line errors."""
    shown = str(file.path)
    data = _read(file.path, settings)
    detected = detect_format(data, shown)
    text = detected.text or ""
    logger.debug("%s: %s", shown, detected.format)
    if detected.format in BOUNDED_FORMATS:
        return LoadResult((worker.load(detected.format, data, shown, file.source),), ())
    match detected.format:
        case Format.PAGE_EXPORT:
            return parse_page_export(text, shown, origin=file.origin)
        case Format.JSONL:
            records = parse_jsonl(text, shown, file.source)
            return LoadResult(records.documents, records.errors)
        case Format.PAGED_TEXT:
            document = load_paged_text(text, shown, file.source, settings)
        case Format.PLAIN:
            document = load_plain(text, shown, file.source)
        case Format.HTML:
            # BeautifulSoup and soupsieve take ~70 ms to import: only for HTML.
            from qa.ingest.html import load_html

            document = load_html(text, shown, file.source)
    return LoadResult((document,), ())


def _read(path: Path, settings: Settings) -> bytes:
    try:
        size = path.stat().st_size
        if size > settings.max_file_bytes:
            raise IngestError(
                str(path),
                f"{size} bytes, more than the limit of {settings.max_file_bytes} (max_file_bytes)",
            )
        return path.read_bytes()
    except OSError as error:
        raise IngestError(str(path), f"cannot read ({error.strerror or error})") from error


def _grouped_exports(
    exports: list[ExportPage], settings: Settings, errors: list[IngestError]
) -> list[Document]:
    grouped: list[Document] = []
    for document in group_page_exports(exports):
        if document.page_count > settings.max_pages:
            errors.append(
                IngestError(
                    document.source or document.title,
                    f"{document.page_count} pages, more than the limit of "
                    f"{settings.max_pages} (max_pages)",
                )
            )
        else:
            grouped.append(document)
    return grouped


def _unique_id(document: Document, taken: set[str]) -> Document:
    """``document``, renamed after its source when an earlier document took its id."""
    if document.id in taken:
        renamed = f"{document.source}#{document.id}"
        logger.warning(
            "document id %r is already used; %s gets id %r",
            document.id,
            document.source,
            renamed,
        )
        document = replace(document, id=renamed)
    taken.add(document.id)
    return document
