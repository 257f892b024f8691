"""A process killed (SIGKILL) anywhere while indexing leaves a folder that opens and answers.

Children run ``tests.qa.crash_worker``, which adds invented documents one ``engine.add`` at a
time and announces each write step; the parent kills them at a chosen step or after a seeded
random delay, then reopens the folder the way a restarted user would.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from embeddings.vector_index import VectorIndex
from qa.engine import Engine
from qa.index.folder.bm25 import LexicalIndex
from qa.index.folder.layout import DATABASE, LOCKS, SPOOLS
from qa.index.folder.snapshots import MANIFEST, Manifest
from qa.index.records import vector_id
from tests.fakes import FakeEncoder
from tests.qa.corpus import ARCTIC
from tests.qa.crash_worker import DIMENSION, PHASES, operations, questions, states

REPO = Path(__file__).resolve().parents[2]
OPERATIONS = operations()
STATES = states(OPERATIONS)
QUESTIONS = questions(OPERATIONS)
# What a healthy folder holds between updates: no half-written temporaries left behind.
SETTLED = {"chunks.sqlite", "embeddings.sqlite", MANIFEST, SPOOLS, *LOCKS}


@dataclass(frozen=True)
class ChildRun:
    """What a child printed before it ended, and how it ended."""

    lines: tuple[str, ...]
    returncode: int
    seconds: float

    @property
    def confirmed(self) -> int:
        """Operations whose ``engine.add``/``remove`` call returned (the child said ``done``)."""
        done = [int(line.split()[1]) for line in self.lines if line.startswith("done ")]
        return max(done) + 1 if done else -1


def run_child(
    folder: Path,
    *,
    start: int = 0,
    kill_after: tuple[str, int] | None = None,
    delay: float = 0.0,
    kill_at: str | None = None,
) -> ChildRun:
    """Run the worker on ``folder`` from operation ``start``.

    The parent kills it ``delay`` seconds after the ``kill_after`` = (line, n)-th occurrence of
    that printed line (``("ready", 1)`` times from the end of imports); ``kill_at`` makes the
    child kill itself at ``PHASE:COUNT``. Without either it runs to the end.
    """
    command = [sys.executable, "-m", "tests.qa.crash_worker", str(folder), "--start", str(start)]
    if kill_at:
        command += ["--kill-at", kill_at]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    lines: list[str] = []
    try:
        if kill_after is not None:
            wanted, count = kill_after
            seen = 0
            for raw in child.stdout:
                lines.append(raw.strip())
                seen += lines[-1] == wanted
                if seen == count:
                    time.sleep(delay)
                    # A child that already exited is a zombie until waited for: kill is harmless.
                    os.kill(child.pid, signal.SIGKILL)
                    break
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    lines.extend(line.strip() for line in out.splitlines())
    if child.returncode not in (0, -signal.SIGKILL):
        pytest.fail(f"crash worker failed ({child.returncode}):\n{err}")
    return ChildRun(tuple(lines), child.returncode, time.perf_counter() - started)


def committed_operations(folder: Path, run: ChildRun, start: int) -> int:
    """Reopen ``folder`` and check it; returns how many operations its SQLite state holds.

    Each operation is one transaction, so the folder must hold exactly the state after the
    last confirmed operation or after the one in flight, and every document in it must be
    found by a question only that document (in that version) answers.
    """
    confirmed = max(run.confirmed, start)
    engine = Engine.open(folder, encoder=FakeEncoder(DIMENSION))
    try:
        engine.store.check_integrity()
        held = engine.store.document_hashes()
        allowed = STATES[confirmed : confirmed + 2]
        assert held in allowed, (
            f"after {confirmed} confirmed operations the folder holds {sorted(held)}, "
            f"not the state before or after the next operation"
        )
        for doc_id, digest in held.items():
            hits = engine.search(QUESTIONS[digest], k=3)
            assert hits and hits[0].chunk.doc_id == doc_id, (doc_id, QUESTIONS[digest])
        if held:
            first = sorted(held)[0]
            answer = engine.ask(QUESTIONS[held[first]])
            assert answer.found and answer.citations[0].doc_id == first
        in_flight_committed = confirmed < len(OPERATIONS) and held == STATES[confirmed + 1]
        return confirmed + 1 if in_flight_committed and held != STATES[confirmed] else confirmed
    finally:
        engine.close()


def assert_writable_and_settled(folder: Path) -> None:
    """After recovery the folder takes new documents and keeps no leftovers of the crash."""
    with Engine.open(folder, encoder=FakeEncoder(DIMENSION)) as engine:
        engine.add(ARCTIC)
        engine.store.check_integrity()
        assert engine.search("ice-capable patrol vessels", k=1)[0].chunk.doc_id == ARCTIC.id
        generation = engine.store.generation
    expected = {*SETTLED, f"vectors-{generation}.faiss", f"bm25-{generation}"}
    leftovers = {p.name for p in folder.iterdir()} - expected
    leftovers = {name for name in leftovers if not name.endswith(("-wal", "-shm"))}
    assert not leftovers, f"files left behind by the killed writer: {sorted(leftovers)}"
    spools = [p.name for p in (folder / SPOOLS).iterdir() if p.is_dir()]
    assert not spools, f"spools left behind by the killed writer: {spools}"


@pytest.mark.slow
def test_index_survives_sigkill_at_random_points(tmp_path: Path) -> None:
    """20 kills spread over every write step; each crashed folder seeds the next child.

    Half the kills follow a chosen step's announcement at once or within 20 ms; the others
    come a random time after start-up, scaled by a full uninterrupted run, so they also land
    while a child rebuilds the search files of the folder the previous child left behind.
    """
    rng = random.Random(20240611)
    calibration = run_child(tmp_path / "calibration")
    assert calibration.returncode == 0
    assert committed_operations(tmp_path / "calibration", calibration, 0) == len(OPERATIONS)
    per_operation = calibration.seconds / len(OPERATIONS)

    folder, start = tmp_path / "trial-0", 0
    kills_by_phase: dict[str, int] = {}
    for trial in range(20):
        if trial % 2 == 0:
            phase = PHASES[(trial // 2) % len(PHASES)]
            kill_after = (f"phase {phase}", rng.randint(1, 3))
            delay = rng.uniform(0.0, 0.02) if rng.random() < 0.5 else 0.0
        else:
            kill_after = ("ready", 1)
            delay = rng.uniform(0.0, 4 * per_operation)
        run = run_child(folder, start=start, kill_after=kill_after, delay=delay)
        phases = [line.split()[1] for line in run.lines if line.startswith("phase ")]
        last = phases[-1] if phases else "open"
        kills_by_phase[last] = kills_by_phase.get(last, 0) + 1

        # The next child starts from the folder exactly as the killed one left it.
        following = tmp_path / f"trial-{trial + 1}"
        shutil.copytree(folder, following)
        start = committed_operations(folder, run, start)
        assert_writable_and_settled(folder)
        if start == len(OPERATIONS):
            shutil.rmtree(following)
            following.mkdir()
            start = 0
        folder = following
    assert len(kills_by_phase) >= 5, kills_by_phase


@pytest.mark.slow
@pytest.mark.parametrize(
    "kill_at",
    [
        # Open, then three adds: the FAISS snapshot of the third add is fully written to its
        # temporary file but not yet renamed into place.
        "faiss-rename:4",
        # The third add's FAISS and BM25 snapshots are on disk; the manifest still names the
        # second add's generation.
        "manifest:4",
        "manifest-rename:4",
        "bm25-rename:3",
    ],
)
def test_kill_between_snapshot_and_manifest_keeps_a_working_index(
    tmp_path: Path, kill_at: str
) -> None:
    folder = tmp_path / "index"
    run = run_child(folder, kill_at=kill_at)
    assert run.returncode == -signal.SIGKILL
    assert run.confirmed == 2
    # SQLite committed the third add before the snapshots were written.
    assert committed_operations(folder, run, 0) == 3
    assert_writable_and_settled(folder)


@pytest.mark.slow
def test_manifest_still_names_a_loadable_previous_snapshot_after_the_kill(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "index"
    run = run_child(folder, kill_at="manifest:4")
    assert run.returncode == -signal.SIGKILL
    manifest = Manifest.from_json((folder / MANIFEST).read_text())
    assert manifest.generation == 2
    assert (folder / "vectors-3.faiss").is_file()  # the new snapshot was written

    vectors = VectorIndex.load(folder / f"vectors-{manifest.generation}.faiss")
    lexical = LexicalIndex.load(folder / f"bm25-{manifest.generation}")
    assert len(vectors) == len(lexical) == manifest.vectors
    with sqlite3.connect(f"file:{folder / DATABASE}?mode=ro", uri=True) as db:
        first_chunks = {
            row[0] for row in db.execute("SELECT id FROM chunks WHERE doc_id = 'report-00'")
        }
    assert lexical.search(OPERATIONS[0].question, 1).ids[0] in first_chunks
    query = FakeEncoder(DIMENSION).encode([OPERATIONS[0].question])
    best = int(vectors.search(query, 1).ids[0][0])
    assert best in {vector_id(chunk) for chunk in first_chunks}
