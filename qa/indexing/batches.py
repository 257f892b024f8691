"""Streaming updates: files and folders of any size indexed in bounded batches.

Two passes over the sources. The first reads every document once and spools it to a file in
the index folder (``spool/``; one left by a killed run is removed by the next), without the
index's writer lock: a slow file keeps no other update waiting. The second, under the lock,
leaves out the documents whose content is already indexed, reads the rest back about
``settings.batch_chars`` characters at a time, and cleans, chunks, embeds and commits each
batch, so memory holds one batch besides the index itself.

A committed batch stays committed if the process dies, and the embedding cache keeps vectors
as they are computed: a rerun skips finished documents by their content hash and embeds
nothing twice. Search files are published by the last batch and whenever the index has grown
``_PUBLISH_GROWTH`` times since the last publish, so publishing costs a small multiple of one
final publish however many batches there are.

Each document's content hash is computed once, as it is spooled, and travels with its batch.
Removing a document (``Engine.remove``) is the same update with nothing to read.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa.encoder import Encoder
from qa.errors import UnknownDocument
from qa.index.base import Index
from qa.index.folder.layout import spool_folder
from qa.indexing.books import combine
from qa.indexing.pipeline import Scan, Source, SourceReading, content_hash, recipe
from qa.indexing.update import AddSummary, apply_update, merge_summaries, plan_update
from qa.ingest import Progress
from qa.settings import Settings
from qa.types import Document, Page

logger = logging.getLogger(__name__)

Exclusive = Callable[[], AbstractContextManager[object]]
"""A fresh context manager per call that keeps searches out while an update switches over."""
Writing = Callable[[], AbstractContextManager[object]]
"""A context manager that holds the index's writer locks (other writers wait)."""

_PUBLISH_GROWTH = 2


def text_size(doc: Document) -> int:
    """Characters of text ``doc`` holds: what a batch is measured in."""
    return sum(len(page.text) for page in doc.pages) if doc.pages else len(doc.text)


def _encode(doc: Document) -> str:
    pages = None if doc.pages is None else [[p.number, p.text, p.origin] for p in doc.pages]
    fields = {"id": doc.id, "title": doc.title, "text": doc.text, "pages": pages}
    return json.dumps({**fields, "source": doc.source, "origin": doc.origin})


def _decode(line: str) -> Document:
    data = json.loads(line)
    pages = data.pop("pages")
    if pages is not None:
        data["pages"] = tuple(Page(number, text, origin) for number, text, origin in pages)
    return Document(**data)


@dataclass(frozen=True)
class Batch:
    """Spooled documents read back together, with their content hashes (computed once, as
    they were spooled) and their characters of text."""

    documents: tuple[Document, ...]
    hashes: Mapping[str, str]
    chars: int


class Spool:
    """Documents written to a JSON-lines file, read back in batches of about ``budget``
    characters (a document larger than that is a batch of its own); ``skip_indexed`` leaves
    out the ones the index holds already."""

    def __init__(self, path: Path, budget: int) -> None:
        self.path = path
        self.budget = budget
        # Per line: the document's id, content hash and characters, and whether it is read back.
        self._entries: list[tuple[str, str, int]] = []
        self._wanted: list[bool] = []
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file = os.fdopen(descriptor, "w", encoding="utf-8")

    def write(self, doc: Document, digest: str) -> None:
        self._file.write(_encode(doc) + "\n")
        self._entries.append((doc.id, digest, text_size(doc)))
        self._wanted.append(True)

    def close(self) -> None:
        self._file.close()

    def skip_indexed(self, known: Mapping[str, str]) -> list[str]:
        """Leave out the documents whose content hash ``known`` holds; their ids."""
        self._wanted = [known.get(doc_id) != digest for doc_id, digest, _ in self._entries]
        entries = zip(self._entries, self._wanted, strict=True)
        return [doc_id for (doc_id, _, _), wanted in entries if not wanted]

    @property
    def _sizes(self) -> list[int]:
        entries = zip(self._entries, self._wanted, strict=True)
        return [chars for (_, _, chars), wanted in entries if wanted]

    @property
    def chars(self) -> int:
        return sum(self._sizes)

    def bounds(self) -> list[int]:
        """How many documents each batch takes, in order."""
        counts: list[int] = []
        size = 0
        for chars in self._sizes:
            if counts and size + chars <= self.budget:
                counts[-1] += 1
                size += chars
            else:
                counts.append(1)
                size = chars
        return counts

    def batches(self) -> Iterator[Batch]:
        """Each batch in turn, reading the file as it goes."""
        kept = [entry for entry, keep in zip(self._entries, self._wanted, strict=True) if keep]
        with self.path.open(encoding="utf-8") as lines:
            wanted = (line for line, keep in zip(lines, self._wanted, strict=True) if keep)
            position = 0
            for count in self.bounds():
                entries = kept[position : position + count]
                yield Batch(
                    documents=tuple(_decode(next(wanted)) for _ in entries),
                    hashes={doc_id: digest for doc_id, digest, _ in entries},
                    chars=sum(chars for _, _, chars in entries),
                )
                position += count


@dataclass
class _Survey:
    """What the first pass keeps of every document besides the spool: its id and files."""

    chunking: Mapping[str, int]
    spool: Spool
    ids: set[str] = field(default_factory=set)
    origins: set[str] = field(default_factory=set)

    def read(self, documents: Iterable[Document]) -> None:
        for doc in documents:
            self.ids.add(doc.id)
            self.origins.update(o for o in (doc.origin, *(p.origin for p in doc.pages or ())) if o)
            self.spool.write(doc, content_hash(doc, self.chunking))


def stream_update(
    index: Index,
    encoder: Encoder,
    sources: Sequence[Source],
    *,
    settings: Settings,
    writing: Writing,
    exclusive: Exclusive,
    remove: Sequence[str] = (),
    progress: Progress | None = None,
) -> AddSummary:
    """Index files, folders and ``Document``s in batches (see the module docstring), and
    drop the documents ``remove`` names.

    The sources are read first; ``writing`` is entered only to compare and commit. Paths must
    exist; files that cannot be read land in ``summary.errors`` and keep what was indexed
    from them. An id in ``remove`` that the index does not hold raises ``UnknownDocument``
    before anything changes.
    """
    started = time.perf_counter()
    given = combine([s for s in sources if isinstance(s, Document)])
    paths = [s for s in sources if not isinstance(s, Document)]
    reading = SourceReading([*given, *paths], settings, progress=progress)
    with spool_folder(index.folder) as folder:
        spool = Spool(folder / "documents.jsonl", settings.batch_chars)
        survey = _Survey(recipe(settings), spool)
        try:
            survey.read(reading)
        finally:
            spool.close()
        scan = reading.scan(survey.ids, survey.origins)
        with writing():
            known = index.document_hashes()
            unknown = [doc_id for doc_id in remove if doc_id not in known]
            if unknown:
                raise UnknownDocument(f"unknown document id: {unknown[0]!r}")
            unchanged = spool.skip_indexed(known)
            first = AddSummary(
                unchanged=tuple(unchanged), errors=reading.errors, skipped=reading.skipped
            )
            logger.info(
                "read %d documents: %d unchanged; %d characters of changed text in %d batches",
                len(survey.ids),
                len(unchanged),
                spool.chars,
                len(spool.bounds()),
            )
            batched = _apply_batches(
                index, encoder, spool, scan, settings, exclusive, remove, progress
            )
    summary = merge_summaries([first, *batched])
    return replace(summary, seconds=time.perf_counter() - started)


def _apply_batches(
    index: Index,
    encoder: Encoder,
    spool: Spool,
    scan: Scan,
    settings: Settings,
    exclusive: Exclusive,
    remove: Sequence[str],
    progress: Progress | None,
) -> list[AddSummary]:
    """Plan and commit the spooled documents batch by batch; the first batch also drops the
    documents ``remove`` names, the last publishes.

    With nothing spooled, one empty update still removes what vanished from the folders.
    """
    total, done = spool.chars, 0
    spooled = len(spool.bounds())
    count = max(spooled, 1)
    published = len(index)
    batches: Iterable[Batch] = spool.batches() if spooled else [Batch((), {}, 0)]
    summaries = []
    for number, batch in enumerate(batches, start=1):
        update = plan_update(
            index,
            encoder,
            batch.documents,
            settings=settings,
            scan=scan,
            hashes=batch.hashes,
            remove=remove if number == 1 else (),
            progress=_within(progress, done, batch.chars, total),
        )
        grown = len(index) + sum(len(r.chunks) for r in update.records)
        publish = number >= count or grown >= _PUBLISH_GROWTH * max(published, 1)
        apply_update(index, update, exclusive=exclusive(), publish=publish)
        if publish:
            published = len(index)
        done += batch.chars
        if progress is not None and total:
            progress("indexing", done, total)
        logger.info(
            "batch %d of %d done (%d of %d characters): %s",
            number,
            count,
            done,
            total,
            update.summary,
        )
        summaries.append(update.summary)
    return summaries


def _within(progress: Progress | None, done: int, chars: int, total: int) -> Progress | None:
    """Passes a batch's own stages on, and reports its embedding as progress through all
    batches' characters (stage ``indexing``)."""
    if progress is None:
        return None

    def report(stage: str, finished: int, of: int) -> None:
        progress(stage, finished, of)
        if stage == "embedding" and total:
            progress("indexing", done + (chars * finished // of if of else chars), total)

    return report
