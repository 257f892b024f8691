"""Child process for the crash tests: indexes a fixed series of invented documents.

Run as ``python -m tests.qa.crash_worker FOLDER [--start N] [--kill-at PHASE:COUNT]``. It prints
``ready`` once imports are done, ``phase NAME`` on entering each write step of an index update
and ``done I`` after operation ``I`` returns, so the parent knows what was confirmed and can
kill it (SIGKILL) right after a chosen step. ``--kill-at`` makes the child SIGKILL itself on
the COUNT-th entry (1-based) into PHASE instead, for deterministic crash points.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.indexing.pipeline import content_hash
from qa.types import Document, Page

# Write steps of one index update, in the order they run; "-rename" is the moment a fully
# written temporary file or folder is about to be renamed into place.
PHASES = (
    "chunk",
    "embed",
    "commit",
    "faiss",
    "faiss-rename",
    "bm25",
    "bm25-rename",
    "manifest",
    "manifest-rename",
)

_SYLLABLES = ("ka", "lo", "mi", "ren", "tor", "vak", "zu", "pel", "gri", "dos", "nex", "bru")
_FILLER = (
    "The ministry reviewed readiness of reserve units across the coastal provinces.",
    "Training cycles were shortened so that brigades could rotate through the ranges.",
    "Logistics depots received new inventory software and additional storage halls.",
    "Parliament asked for quarterly reports on procurement schedules and cost growth.",
    "Cyber defence teams exercised with civilian operators of power and water grids.",
    "Recruitment campaigns focused on engineers, medics and linguists in the cities.",
    "Allied staff officers joined planning cells for the annual command post exercise.",
    "Maintenance backlogs on older helicopters were cleared by contracted technicians.",
    "Border posts shared weather and traffic data with the regional police command.",
    "The academy opened a course on space situational awareness for junior officers.",
)
_FACILITIES = ("radar station", "supply depot", "signals school", "drone hangar", "fuel pier")
# Wider than the default so that the fake bag-of-words vectors tell the invented names apart.
DIMENSION = 256


@dataclass(frozen=True)
class Operation:
    """One ``engine.add`` of ``document`` or one ``engine.remove`` of ``remove``."""

    document: Document | None = None
    remove: str | None = None
    question: str = ""


def _codeword(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(4))


def invented_report(number: int, version: int) -> tuple[Document, str]:
    """An invented three-page report and a question only its commissioning section answers."""
    rng = random.Random(number * 100 + version)
    unit, harbour, commander = _codeword(rng), _codeword(rng), _codeword(rng)
    facility = rng.choice(_FACILITIES)
    signature = (
        f"# Commissioning\n\nThe {unit} {facility} was commissioned in spring at {harbour} "
        f"harbour. Commander {commander} leads its garrison of {rng.randint(40, 400)} soldiers."
    )
    signature_page = rng.randrange(3)
    pages = []
    for index in range(3):
        paragraphs = [" ".join(rng.sample(_FILLER, 5)) for _ in range(2)]
        text = f"# Section {index + 1}\n\n" + "\n\n".join(paragraphs)
        if index == signature_page:
            text += "\n\n" + signature
        pages.append(Page(20 + index, text))
    document = Document(
        id=f"report-{number:02d}",
        title=f"Readiness Report {number}",
        pages=tuple(pages),
        source=f"report-{number:02d}.txt",
    )
    return document, f"Who leads the {unit} {facility} at {harbour} harbour?"


def operations() -> list[Operation]:
    """Thirty adds, three re-adds of changed versions, one unchanged re-add and one remove."""
    ops = [Operation(document=d, question=q) for d, q in map(invented_report, range(30), [1] * 30)]
    for position, number in ((10, 3), (21, 7), (22, 12)):
        document, question = invented_report(number, 2)
        ops.insert(position, Operation(document=document, question=question))
    ops.insert(26, Operation(remove="report-05"))
    ops.insert(28, ops[2])
    return ops


def states(ops: Sequence[Operation]) -> list[dict[str, str]]:
    """``states[i]``: doc id -> content hash once the first ``i`` operations are committed."""
    current: dict[str, str] = {}
    out = [dict(current)]
    for op in ops:
        if op.document is not None:
            current[op.document.id] = content_hash(op.document)
        elif op.remove is not None:
            current.pop(op.remove, None)
        out.append(dict(current))
    return out


def questions(ops: Sequence[Operation]) -> dict[str, str]:
    """content hash -> the question that version of its document answers."""
    return {content_hash(op.document): op.question for op in ops if op.document is not None}


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _announce(phase: str, function: Callable[..., Any], kill_at: tuple[str, int] | None) -> Any:
    entries = 0

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal entries
        entries += 1
        _say(f"phase {phase}")
        if kill_at == (phase, entries):
            os.kill(os.getpid(), signal.SIGKILL)
        return function(*args, **kwargs)

    return wrapper


class _RenameHook:
    """Stands in for ``os`` inside one module so that only that module's renames announce."""

    def __init__(self, phases: dict[str, str], kill_at: tuple[str, int] | None) -> None:
        self._hooks = {
            suffix: _announce(phase, os.replace, kill_at) for suffix, phase in phases.items()
        }

    def replace(self, source: Any, destination: Any) -> None:
        name = Path(destination).name
        for suffix, hook in self._hooks.items():
            if suffix in name:
                return hook(source, destination)
        return os.replace(source, destination)

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


def _instrument(kill_at: tuple[str, int] | None) -> None:
    import embeddings.atomic
    import qa.index.folder.bm25
    import qa.index.folder.catalog
    import qa.index.folder.snapshots
    import qa.indexing.update
    from embeddings.cache import EmbeddingCache
    from embeddings.vector_index import VectorIndex
    from qa.index.folder.bm25 import LexicalIndex

    qa.indexing.update._prepare = _announce("chunk", qa.indexing.update._prepare, kill_at)
    EmbeddingCache.put_many = _announce("embed", EmbeddingCache.put_many, kill_at)
    qa.index.folder.catalog.Catalog.replace_documents = _announce(
        "commit", qa.index.folder.catalog.Catalog.replace_documents, kill_at
    )
    VectorIndex.save = _announce("faiss", VectorIndex.save, kill_at)
    LexicalIndex.save = _announce("bm25", LexicalIndex.save, kill_at)
    qa.index.folder.snapshots.atomic_write_text = _announce(
        "manifest", qa.index.folder.snapshots.atomic_write_text, kill_at
    )
    embeddings.atomic.os = _RenameHook(
        {".faiss": "faiss-rename", "manifest.json": "manifest-rename"}, kill_at
    )
    qa.index.folder.bm25.os = _RenameHook({"bm25-": "bm25-rename"}, kill_at)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--kill-at", default=None)
    args = parser.parse_args(argv)
    kill_at = None
    if args.kill_at:
        phase, count = args.kill_at.split(":")
        kill_at = (phase, int(count))

    from qa.engine import Engine
    from tests.fakes import FakeEncoder

    _instrument(kill_at)
    _say("ready")
    engine = Engine.open(args.folder, encoder=FakeEncoder(DIMENSION))
    for index, op in enumerate(operations()):
        if index < args.start:
            continue
        if op.document is not None:
            engine.add(op.document)
        elif op.remove is not None:
            engine.remove(op.remove)
        _say(f"done {index}")
    engine.close()


if __name__ == "__main__":
    main()
