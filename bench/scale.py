"""The 635-document collection: streamed build, memory, disk, search and ask latency, ANN recall.

Usage: python bench/scale.py [--corpus DIR] [--folder DIR] [--limit N] [--fresh]
                             [--kill-after SECONDS] [--measure-only] [--approximate-above N]

Build: ``python -m qa.cli index CORPUS --index FOLDER`` in a child process, as a user runs it,
timed, with the child's peak RSS (``wait4``). ``--corpus`` defaults to /work/data/allen, else
../shared/corpus/defense-docs-all.tar.xz extracted next to the folder; ``--limit N`` indexes
the first N files (linked into a folder of their own). ``--fresh`` deletes the index folder
first; otherwise the build goes on from what the folder holds.

Kill and resume (``--kill-after S``): the first child is SIGKILLed S seconds in; the keys in
the embedding cache are counted; the build runs again (to the end, or ``--stop-after`` seconds,
then killed too: the measurements then run on what it committed). From the rerun's log: the
documents it found unchanged (committed before the kill), what its first batch (the one in
flight at the kill) took from the cache, and, once finished, that it embedded exactly the
texts the cache lacked: ``embedded == keys after - keys before`` (a text embedded again would
be counted but add no key).

Then, in this process: chunks, documents, size on disk; single-query dense search p50/p95 of
the exact flat index and of the approximate (IVF) index over the same vectors, and recall@10
of the approximate against the exact for the dev questions and for held-out chunk vectors;
``engine.search`` (hybrid) and ``engine.ask`` p50/p95 over the dev questions.

``--hash-encoder`` replaces the model by one seeded random vector per text, in the build and
in the measurements: what is left is the pipeline's own cost (reading, cleaning, chunking,
commits, publishing, BM25, FAISS) at full size; its dense recall means nothing.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import argparse
import hashlib
import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# This checkout's packages, not whatever an editable install points at.
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
DEFAULT_CORPUS = Path("/work/data/allen")
ARCHIVE = SHARED / "corpus" / "defense-docs-all.tar.xz"
HASHED = False
QUESTIONS = sorted((SHARED / "eval").glob("dev-*.jsonl"))
_SURVEY = re.compile(r"read (\d+) documents: (\d+) unchanged")
_BATCH = re.compile(
    r"batch (\d+) of (\d+) done \((\d+) of (\d+) characters\)"
    r".*? (\d+) chunks embedded, (\d+) reused"
)


class HashEncoder:
    """``--hash-encoder``: one seeded random unit vector per text, so that a run measures
    everything but the model (vectors carry no meaning: recall is measured on real ones)."""

    fingerprint = "bench-hash-384"
    dimension = 384

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = [
            np.random.default_rng(
                int(hashlib.sha1(t.encode()).hexdigest()[:15], 16)
            ).standard_normal(self.dimension)
            for t in texts
        ]
        out = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dimension)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


_HASHED_CHILD = """
import sys
import qa.cli
from bench.scale import HashEncoder
from qa import Engine
qa.cli.command.open_engine = lambda args, create=False: Engine.open(
    args.index, encoder=HashEncoder(), create=create
)
sys.exit(qa.cli.main(sys.argv[1:]))
"""


def percentiles(samples: Sequence[float]) -> str:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {p50:7.2f} ms  p95 {p95:7.2f} ms"


def corpus_folder(args: argparse.Namespace) -> Path:
    corpus = args.corpus or DEFAULT_CORPUS
    if not corpus.is_dir():
        corpus = args.folder.with_name(args.folder.name + ".corpus")
        if not corpus.is_dir():
            print(f"extracting {ARCHIVE} into {corpus}", flush=True)
            with tarfile.open(ARCHIVE) as archive:
                archive.extractall(corpus, filter="data")
    if not args.limit:
        return corpus
    subset = args.folder.with_name(f"{args.folder.name}.corpus-{args.limit}")
    subset.mkdir(parents=True, exist_ok=True)
    for path in sorted(p for p in corpus.rglob("*") if p.is_file())[: args.limit]:
        link = subset / path.name
        if not link.exists():
            link.symlink_to(path.resolve())
    return subset


def cached_keys(folder: Path) -> int:
    path = folder / "embeddings.sqlite"
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]


def run_index(corpus: Path, folder: Path, kill_after: float | None) -> tuple[float, int, str]:
    """Seconds, peak RSS (bytes) and log of one ``citeqa index -v`` child, SIGKILLed after
    ``kill_after`` seconds if it is still running then."""
    arguments = ["index", str(corpus), "--index", str(folder), "-v"]
    launcher = ["-c", _HASHED_CHILD] if HASHED else ["-m", "qa.cli"]
    command = [sys.executable, *launcher, *arguments]
    log = folder.with_name(folder.name + ".log")
    started = time.perf_counter()
    with log.open("a") as err:
        child = subprocess.Popen(command, cwd=ROOT, stderr=err, stdout=subprocess.DEVNULL)
        deadline = started + kill_after if kill_after is not None else None
        # Reaped here, not by Popen.wait, so that wait4 reports the child's peak RSS.
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                os.kill(child.pid, signal.SIGKILL)
                deadline = None
            time.sleep(0.5)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    text = log.read_text()[-200_000:]
    if code not in (0, -signal.SIGKILL):
        sys.exit(f"citeqa index failed ({code}):\n{text[-2000:]}")
    if code:
        print(f"citeqa index killed after {seconds:.0f} s", flush=True)
    return seconds, usage.ru_maxrss * 1024, text


def build(corpus: Path, folder: Path, kill_after: float | None, stop_after: float | None) -> None:
    files = sum(1 for p in corpus.rglob("*") if p.is_file())
    print(f"corpus {corpus}: {files} files; index {folder}", flush=True)
    total, peak = 0.0, 0
    if kill_after is not None:
        seconds, peak, _ = run_index(corpus, folder, kill_after)
        total = seconds
        print(f"after the kill: {cached_keys(folder)} texts in the embedding cache", flush=True)
    before = cached_keys(folder)
    seconds, rss, text = run_index(corpus, folder, stop_after)
    total, peak = total + seconds, max(peak, rss)
    run = text[text.rfind("read ") :] if "read " in text else ""
    survey = _SURVEY.search(run)
    batches = [tuple(map(int, m)) for m in _BATCH.findall(run)]
    after = cached_keys(folder)
    if survey:
        print(f"last run read {survey[1]} documents, {survey[2]} unchanged (committed before)")
    if batches:
        number, count, done, chars, embedded, reused = batches[0]
        print(f"its first batch: {embedded} chunks embedded, {reused} from the cache")
        number, count, done, chars = batches[-1][:4]
        embedded = sum(b[4] for b in batches)
        print(
            f"{len(batches)} batches done in the last run (last: {number} of {count}, {done} of "
            f"{chars} characters); they embedded {embedded}; cache {before} -> {after} keys",
            flush=True,
        )
        if number == count:
            verdict = "nothing embedded twice" if embedded == after - before else "EMBEDDED AGAIN"
            print(f"finished: {verdict}")
        elif done:
            print(f"projected whole last run: {seconds * chars / done / 60:.0f} min")
    print(
        f"build: {total:.0f} s ({total / 60:.1f} min) in all runs, peak RSS {peak / 2**30:.2f} GiB",
        flush=True,
    )


def disk_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def questions() -> list[str]:
    found: dict[str, None] = {}
    for path in QUESTIONS:
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if "question" in record:
                found[record["question"]] = None
    return list(found)


def timed_ms(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def measure(folder: Path, approximate_above: int | None) -> None:
    from embeddings.vector_index import VectorIndex, recall_at_k
    from qa.engine import Engine
    from qa.settings import Settings

    settings = Settings.from_env(approximate_above=approximate_above)
    started = time.perf_counter()
    # After a killed build the catalog is ahead of the manifest: opening remakes the search
    # files from the catalog and the embedding cache, as after any crash.
    encoder = HashEncoder() if HASHED else None
    engine = Engine.open(folder, settings=settings, encoder=encoder, create=False)
    print(f"opened in {time.perf_counter() - started:.1f} s", flush=True)
    store_vectors = engine.store._view.vectors
    assert store_vectors is not None
    print(
        f"index: {len(engine.documents())} documents, {len(engine)} chunks, "
        f"{disk_size(folder) / 2**20:.0f} MiB on disk "
        f"(models {disk_size(folder / 'models') / 2**20:.0f} MiB of it); dense search "
        f"{'approximate' if store_vectors.is_approximate else 'exact'} "
        f"(approximate_above {settings.approximate_above})",
        flush=True,
    )
    asked = questions()
    query_vectors = engine.encoder.encode(asked)
    ids = store_vectors.ids()
    vectors = store_vectors._reconstruct(ids)
    rng = np.random.default_rng(0)
    held = rng.choice(len(ids), min(300, len(ids)), replace=False)
    chunk_queries = vectors[held]
    exact = VectorIndex(vectors.shape[1], kind="flat")
    exact.add(ids, vectors)
    started = time.perf_counter()
    approximate = VectorIndex(vectors.shape[1], kind="ivf")
    approximate.add(ids, vectors)
    print(f"IVF built in {time.perf_counter() - started:.1f} s", flush=True)
    del vectors
    for name, index in (("exact (flat)", exact), ("approximate (IVF)", approximate)):
        samples = [timed_ms(lambda q=q, i=index: i.search(q[None, :], 10)) for q in query_vectors]
        print(f"dense search {name:<18} {percentiles(samples)}", flush=True)
    for name, queries in (("dev questions", query_vectors), ("chunk vectors", chunk_queries)):
        recall = recall_at_k(approximate.search(queries, 10), exact.search(queries, 10))
        print(f"recall@10 IVF vs exact, {len(queries)} {name}: {recall:.3f}", flush=True)
    del exact, approximate
    searches = [timed_ms(lambda q=q: engine.search(q)) for q in asked]
    print(f"engine.search (hybrid)  {percentiles(searches)}", flush=True)
    asks = [timed_ms(lambda q=q: engine.ask(q)) for q in asked]
    print(f"engine.ask              {percentiles(asks)}", flush=True)
    engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--folder", type=Path, default=Path("/work/idx/scale"))
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--kill-after", type=float)
    parser.add_argument("--stop-after", type=float, help="kill the (resumed) build after S s")
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--approximate-above", type=int)
    parser.add_argument("--hash-encoder", action="store_true", help="measure all but the model")
    args = parser.parse_args()
    global HASHED
    HASHED = args.hash_encoder
    if not args.measure_only:
        if args.fresh and args.folder.exists():
            shutil.rmtree(args.folder)
        args.folder.parent.mkdir(parents=True, exist_ok=True)
        build(corpus_folder(args), args.folder, args.kill_after, args.stop_after)
    measure(args.folder, args.approximate_above)


if __name__ == "__main__":
    main()
