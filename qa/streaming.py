"""Streaming updates: files and folders of any size indexed in bounded batches.

Two passes over the sources. The first reads every document once and spools the documents
whose content changed to a temporary file. The second reads the spool back about
``settings.batch_chars`` characters at a time and cleans, chunks, embeds and commits each
batch, so memory holds one batch besides the index itself.

A committed batch stays committed if the process dies, and the embedding cache keeps vectors
as they are computed: a rerun skips finished documents by their content hash and embeds
nothing twice. Search files are published by the last batch and whenever the index has grown
``_PUBLISH_GROWTH`` times since the last publish, so publishing costs a small multiple of one
final publish however many batches there are.
"""

from __future__ import annotations

import itertools
import json
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa.books import combine
from qa.encoder import Encoder
from qa.index.base import Index
from qa.indexer import AddSummary, apply_update, merge_summaries, plan_update
from qa.ingest import Progress, Reading
from qa.pipeline import Scan, Source, content_hash, recipe
from qa.settings import Settings
from qa.types import Document, Page

logger = logging.getLogger(__name__)

Exclusive = Callable[[], AbstractContextManager[object]]
"""A fresh context manager per call that keeps searches out while an update switches over."""

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


class Spool:
    """Documents written to a temporary JSON-lines file, read back in batches of about
    ``budget`` characters (a document larger than that is a batch of its own)."""

    def __init__(self, path: Path, budget: int) -> None:
        self.path = path
        self.budget = budget
        self._sizes: list[int] = []
        self._file = path.open("w", encoding="utf-8")

    def write(self, doc: Document) -> None:
        self._file.write(_encode(doc) + "\n")
        self._sizes.append(text_size(doc))

    def close(self) -> None:
        self._file.close()

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

    def batches(self) -> Iterator[tuple[list[Document], int]]:
        """Each batch's documents and characters, reading the file as it goes."""
        with self.path.open(encoding="utf-8") as lines:
            position = 0
            for count in self.bounds():
                documents = [_decode(next(lines)) for _ in range(count)]
                yield documents, sum(self._sizes[position : position + count])
                position += count


@dataclass
class _Survey:
    """What the first pass keeps of every document: its id and files, and whether it changed
    (changed ones go to the spool)."""

    known: Mapping[str, str]
    chunking: Mapping[str, int]
    spool: Spool
    unchanged: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    origins: set[str] = field(default_factory=set)

    def read(self, documents: Iterable[Document]) -> None:
        for doc in documents:
            self.ids.add(doc.id)
            self.origins.update(o for o in (doc.origin, *(p.origin for p in doc.pages or ())) if o)
            if self.known.get(doc.id) == content_hash(doc, self.chunking):
                self.unchanged.append(doc.id)
            else:
                self.spool.write(doc)


def stream_update(
    index: Index,
    encoder: Encoder,
    sources: Sequence[Source],
    *,
    settings: Settings,
    exclusive: Exclusive,
    progress: Progress | None = None,
) -> AddSummary:
    """Index files, folders and ``Document``s in batches (see the module docstring).

    The caller holds the index's writer lock. Paths must exist; files that cannot be read
    land in ``summary.errors`` and keep what was indexed from them.
    """
    started = time.perf_counter()
    given = combine([s for s in sources if isinstance(s, Document)])
    paths = [Path(s) for s in sources if not isinstance(s, Document)]
    reading = Reading(paths, settings, progress=progress)
    with tempfile.TemporaryDirectory(prefix="citeqa-ingest-") as folder:
        spool = Spool(Path(folder) / "documents.jsonl", settings.batch_chars)
        survey = _Survey(index.document_hashes(), recipe(settings), spool)
        try:
            survey.read(itertools.chain(given, reading))
        finally:
            spool.close()
        scan = Scan(
            folders=tuple(str(path.resolve()) for path in paths if path.is_dir()),
            failed=frozenset(str(Path(error.path).resolve()) for error in reading.errors),
            documents=frozenset(survey.ids),
            files=frozenset(survey.origins),
        )
        first = AddSummary(
            unchanged=tuple(survey.unchanged),
            errors=tuple(reading.errors),
            skipped=tuple(reading.skipped),
        )
        logger.info(
            "read %d documents: %d unchanged; %d characters of changed text in %d batches",
            len(survey.ids),
            len(survey.unchanged),
            spool.chars,
            len(spool.bounds()),
        )
        batched = _apply_batches(index, encoder, spool, scan, settings, exclusive, progress)
    summary = merge_summaries([first, *batched])
    return replace(summary, seconds=time.perf_counter() - started)


def _apply_batches(
    index: Index,
    encoder: Encoder,
    spool: Spool,
    scan: Scan,
    settings: Settings,
    exclusive: Exclusive,
    progress: Progress | None,
) -> list[AddSummary]:
    """Plan and commit the spooled documents batch by batch; the last batch publishes.

    With nothing spooled, one empty update still removes what vanished from the folders.
    """
    total, done = spool.chars, 0
    spooled = len(spool.bounds())
    count = max(spooled, 1)
    published = len(index)
    batches: Iterable[tuple[list[Document], int]] = spool.batches() if spooled else [([], 0)]
    summaries = []
    for number, (documents, chars) in enumerate(batches, start=1):
        update = plan_update(
            index,
            encoder,
            documents,
            settings=settings,
            scan=scan,
            progress=_within(progress, done, chars, total),
        )
        grown = len(index) + sum(len(r.chunks) for r in update.records)
        publish = number >= count or grown >= _PUBLISH_GROWTH * max(published, 1)
        apply_update(index, update, exclusive=exclusive(), publish=publish)
        if publish:
            published = len(index)
        done += chars
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
