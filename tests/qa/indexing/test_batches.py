"""Streamed updates: a folder indexed in batches gives the index one update would, publishes
search files only now and then, and an interrupted run goes on without embedding twice."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

import qa.indexing.batches
from embeddings.vector_index import VectorIndex
from qa.encoder import embed_key
from qa.engine import Engine
from qa.index.folder.layout import CACHE, SPOOLS
from qa.index.folder.snapshots import MANIFEST, Manifest
from qa.indexing.update import AddSummary
from qa.ingest import Reading
from qa.settings import Settings
from qa.text.fields import dense_text
from qa.types import Document
from tests.fakes import FakeEncoder
from tests.qa.crash_worker import invented_report

REPO = Path(__file__).resolve().parents[3]
ONE_PER_BATCH = Settings(batch_chars=1)


def write_reports(folder: Path, count: int, version: int = 1) -> dict[str, str]:
    """``count`` invented three-section reports as text files; file name -> a question only
    that report answers."""
    folder.mkdir(parents=True, exist_ok=True)
    questions = {}
    for number in range(count):
        document, question = invented_report(number, version)
        name = f"report-{number:02d}.md"
        text = f"# {document.title}\n\n" + "\n\n".join(p.text for p in document.pages or ())
        (folder / name).write_text(text, encoding="utf-8")
        questions[name] = question
    return questions


def chunk_texts(engine: Engine) -> dict[str, str]:
    return {chunk.id: chunk.text for chunk in engine.store.chunks()}


def test_one_document_per_batch_gives_the_chunks_of_one_update(tmp_path: Path) -> None:
    questions = write_reports(tmp_path / "docs", 8)
    with Engine.open(tmp_path / "whole", encoder=FakeEncoder()) as whole:
        whole.add(tmp_path / "docs")
        expected = chunk_texts(whole)
    with Engine.open(
        tmp_path / "batched", encoder=FakeEncoder(), settings=ONE_PER_BATCH
    ) as batched:
        summary = batched.add(tmp_path / "docs")
        assert batched.store.generation == 8  # one commit per batch
        assert chunk_texts(batched) == expected
        assert len(summary.added) == 8 and summary.chunks_embedded == len(expected)
        for name, question in questions.items():
            assert batched.search(question, k=1)[0].chunk.source == name


def test_documents_are_held_one_batch_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory does not grow with the folder: while files are read and while a batch is
    embedded, only the documents in hand are alive."""
    write_reports(tmp_path / "docs", 12)
    alive: weakref.WeakSet[Document] = weakref.WeakSet()
    counts: list[int] = []

    # Documents hold no reference cycles: reference counting frees them at once, so no
    # gc.collect() (slow in a full test run's heap) is needed before counting.
    def held(doc: Document) -> Document:
        counts.append(len(alive))
        alive.add(doc)
        return doc

    read = Reading.__iter__
    monkeypatch.setattr(Reading, "__iter__", lambda self: map(held, read(self)))
    decode = qa.indexing.batches._decode
    monkeypatch.setattr(qa.indexing.batches, "_decode", lambda line: held(decode(line)))

    class Watching(FakeEncoder):
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            counts.append(len(alive))
            return super().encode(texts)

    with Engine.open(tmp_path / "index", encoder=Watching(), settings=ONE_PER_BATCH) as engine:
        summary = engine.add(tmp_path / "docs")
    assert len(summary.added) == 12
    assert len(counts) == 12 + 12 + 12  # read, read back, embedded
    assert max(counts) <= 1


def test_search_files_are_published_as_the_index_doubles_and_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_reports(tmp_path / "docs", 16)
    saved: list[int] = []
    original = VectorIndex.save

    def counting_save(self: VectorIndex, path: Path) -> None:
        saved.append(len(self))
        original(self, path)

    monkeypatch.setattr(VectorIndex, "save", counting_save)
    folder = tmp_path / "index"
    with Engine.open(folder, encoder=FakeEncoder(), settings=ONE_PER_BATCH) as engine:
        saved.clear()  # opening an empty folder publishes it once
        engine.add(tmp_path / "docs")
        total = len(engine)
    # Each publish holds at least twice the chunks of the one before; the last holds all.
    assert 3 <= len(saved) <= 6 < 16
    assert all(later >= 2 * earlier for earlier, later in itertools.pairwise(saved[:-1]))
    assert saved[-1] == total
    manifest = Manifest.from_json((folder / MANIFEST).read_text())
    with Engine.open(folder, encoder=FakeEncoder()) as reopened:
        assert manifest.generation == reopened.store.generation and manifest.chunks == total


def test_a_batch_keeps_what_other_batches_and_unchanged_files_hold(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_reports(docs, 4)
    records = [
        {"id": f"memo-{n}", "title": f"Memo {n}", "text": f"Depot {n} holds {n * 7} trucks."}
        for n in range(3)
    ]
    (docs / "memos.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    with Engine.open(tmp_path / "index", encoder=FakeEncoder(), settings=ONE_PER_BATCH) as engine:
        engine.add(docs)
        records[1]["text"] = "Depot 1 now holds 90 trucks and a crane."
        (docs / "memos.jsonl").write_text("\n".join(json.dumps(r) for r in records))
        (docs / "report-02.md").unlink()
        summary = engine.add(docs)
        assert summary.updated == ("memo-1",)
        assert summary.removed == ("report-02",)
        assert set(summary.unchanged) == {"memo-0", "memo-2", "report-00", "report-01", "report-03"}
        held = {doc.doc_id for doc in engine.documents()}
        assert held == {"memo-0", "memo-1", "memo-2", "report-00", "report-01", "report-03"}
        assert engine.search("crane at depot 1", k=1)[0].chunk.doc_id == "memo-1"

        (docs / "report-03.md").unlink()
        summary = engine.add(docs)  # nothing changed, one file gone
        assert summary.removed == ("report-03",) and summary.chunks_embedded == 0


# The child indexes the folder one document per batch and, about to commit the third batch
# (embedded, so its vectors are cached), announces itself and waits to be killed.
_CHILD = """
import sys
import qa.cli
from qa import Engine
from qa.index.folder.store import IndexStore
from qa.settings import Settings
from qa.types import Document
from tests.fakes import FakeEncoder

commit = IndexStore.commit
commits = []

def stalling(self, *args, **kwargs):
    commits.append(1)
    if len(commits) == 3:
        print("stalled", flush=True)
        sys.stdin.readline()
    return commit(self, *args, **kwargs)

IndexStore.commit = stalling
qa.cli.command.open_engine = lambda args, create=False: Engine.open(
    args.index, encoder=FakeEncoder(), settings=Settings(batch_chars=1), create=create
)
sys.exit(qa.cli.main(["index", sys.argv[1], "--index", sys.argv[2], "--quiet"]))
"""


def _cached_keys(folder: Path) -> set[str]:
    with sqlite3.connect(f"file:{folder / CACHE}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT key FROM vectors")}


class Recording(FakeEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return super().encode(texts)


def test_a_killed_index_run_goes_on_without_embedding_anything_twice(tmp_path: Path) -> None:
    write_reports(tmp_path / "docs", 6)
    folder = tmp_path / "index"
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_CHILD), str(tmp_path / "docs"), str(folder)],
        cwd=REPO,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "stalled"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    cached = _cached_keys(folder)
    # The killed run's spool is in the index folder, not in a shared temporary folder.
    (left,) = (folder / SPOOLS).glob("*/documents.jsonl")

    encoder = Recording()
    with Engine.open(folder, encoder=encoder, settings=ONE_PER_BATCH) as engine:
        assert len(engine.documents()) == 2  # the batches committed before the kill
        summary = engine.add(tmp_path / "docs")
        engine.store.check_integrity()
        rerun = chunk_texts(engine)
    assert len(summary.unchanged) == 2 and len(summary.added) == 4
    assert not left.parent.exists()
    assert [p for p in (folder / SPOOLS).iterdir() if p.is_dir()] == []
    # The third batch was embedded before the kill: its vectors come from the cache.
    assert summary.chunks_reused > 0
    with Engine.open(folder, encoder=FakeEncoder()) as engine:
        chunk_keys = {embed_key(dense_text(chunk)) for chunk in engine.store.chunks()}
    embedded = {embed_key(text) for text in encoder.texts}
    assert summary.chunks_embedded == len(embedded & chunk_keys) > 0
    assert not {embed_key(text) for text in encoder.texts} & cached
    with Engine.open(tmp_path / "fresh", encoder=FakeEncoder()) as fresh:
        fresh.add(tmp_path / "docs")
        assert chunk_texts(fresh) == rerun


def test_an_update_reading_slowly_keeps_its_spool_while_another_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are read outside the writer lock, so updates overlap: the second one to start
    must not take the first one's spool for a killed run's."""
    write_reports(tmp_path / "first", 3)
    write_reports(tmp_path / "second", 2, version=2)
    for path in (tmp_path / "second").iterdir():
        path.rename(path.with_name(f"other-{path.name}"))
    reading, resume = threading.Event(), threading.Event()
    read = Reading.__iter__

    def slow(self: Reading) -> Iterator[Document]:
        for doc in read(self):
            if any(path.name == "first" for path in self.paths):
                reading.set()
                assert resume.wait(30)
            yield doc

    monkeypatch.setattr(Reading, "__iter__", slow)
    with Engine.open(tmp_path / "index", encoder=FakeEncoder()) as engine:
        first: list[AddSummary] = []
        worker = threading.Thread(target=lambda: first.append(engine.add(tmp_path / "first")))
        worker.start()
        assert reading.wait(30)
        second = engine.add(tmp_path / "second")
        resume.set()
        worker.join()
        assert len(second.added) == 2 and len(first[0].added) == 3
        assert len(engine.documents()) == 5
    assert [p for p in (tmp_path / "index" / SPOOLS).iterdir() if p.is_dir()] == []
