"""Indexing and embedding speed against a naive fp32 baseline, re-indexing, cold first search.

Usage: python bench/index_speed.py [--corpus rok-dwp-2020-pages|defense-docs ...] [--limit N]
                                   [--baseline-sample N] [--precision auto|fp32|bf16]
                                   [--backend auto|openvino|torch] [--embed-limit N] [--rounds R]

For each corpus (default: both; ../shared/corpus/<name>, skipped when absent) it prints one table:
  index          ``Engine.add`` on a cold index folder (load + clean + chunk + embed + store),
                 with the ``--backend`` encoder
  baseline       plain ``SentenceTransformer.encode`` in fp32, batch 32, on the same chunk texts
                 (``dense_text`` of ``chunk_paths``'s chunks); with ``--baseline-sample N`` it
                 times about N of them (whole random batches) and extrapolates chunks/s
  embed-only     ``SentenceEncoder.encode`` of the chunk texts in one call, for each backend:
                 torch (bf16 weights where the CPU multiplies bf16 natively, else the fp32 fast
                 path) and OpenVINO (bf16 or f32 hint, likewise); ``--embed-limit N`` keeps N
                 seeded-random chunk texts (0: all). With ``--rounds R`` the baseline and the
                 embed-only runs repeat R times, interleaved, and each row shows the median.
  unchanged      ``Engine.add`` again on the same folder: must embed 0 chunks
  one file edited  a paragraph appended to one file: only that file's chunks may be embedded
  from cache     a cold build into a folder holding only the embedding cache: everything but the
                 model, i.e. the pipeline's own cost
  first search   a NEW process (``python -m qa.cli search``) opens the saved index and answers
                 one question, timed end to end (target < 3 s for the 56 documents)
and ratio lines: index and embed-only chunks/s over baseline chunks/s (acceptance >= 4x end to
end, >= 5x embed-only). ``--limit N`` keeps the first N files (for the page export: the first N
page files). Works on temporary copies and folders under the system temp dir; converted
OpenVINO models go to the encoder's usual cache (``$CITEQA_CACHE_DIR``, ``~/.cache/citeqa``).
"""

from __future__ import annotations

import os

# huggingface_hub reads this once at import: set it before anything imports sentence-transformers
# so that neither path can turn into a download.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from embeddings.encoder import SentenceEncoder

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ("rok-dwp-2020-pages", "defense-docs")
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
BASELINE_BATCH = 32
SEARCH_TARGET_SECONDS = 3.0
BACKENDS = ("torch", "openvino")
QUESTION = "What are the main threats to national security?"
# Both models see these before any timing, so one-off kernel set-up is charged to neither.
WARMUP_TEXTS = [
    f"Warm-up sentence number {i} about defence budgets and readiness." for i in range(16)
]


@dataclass(frozen=True)
class Row:
    name: str
    chunks: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.chunks / self.seconds if self.seconds > 0 else 0.0


def copy_files(source: Path, target: Path, limit: int) -> list[Path]:
    """Copy the first ``limit`` files (all when 0) of ``source`` into ``target``; their copies."""
    files = sorted(p for p in source.iterdir() if p.is_file())
    files = files[:limit] if limit else files
    target.mkdir(parents=True)
    return [Path(shutil.copy2(path, target / path.name)) for path in files]


def baseline_texts(docs: Path) -> list[str]:
    """The distinct texts the indexer embeds for ``docs``: ``dense_text`` of every chunk."""
    from qa.indexing.pipeline import chunk_paths
    from qa.text.fields import dense_text

    result = chunk_paths([docs])
    return list(dict.fromkeys(dense_text(chunk) for chunk in result.chunks))


def baseline_timer(model: SentenceTransformer, texts: list[str], sample: int) -> Callable[[], Row]:
    """Plain fp32 ``encode`` at batch 32; on whole sampled batches when ``sample`` is set.

    ``encode`` sorts its input by length before batching, so a small random sample of texts
    would pad far more than the full run does. Instead the texts are sorted the same way, cut
    into the batches the full run would form, and a seeded random subset of those batches is
    encoded one ``encode`` call per batch: the same padding as the full run, extrapolated.
    """
    if not 0 < sample < len(texts):

        def run_all() -> Row:
            started = time.perf_counter()
            model.encode(texts, batch_size=BASELINE_BATCH, show_progress_bar=False)
            return Row("naive fp32 baseline", len(texts), time.perf_counter() - started)

        return run_all
    ordered = sorted(texts, key=len, reverse=True)
    batches = [ordered[i : i + BASELINE_BATCH] for i in range(0, len(ordered), BASELINE_BATCH)]
    chosen = random.Random(0).sample(batches, max(1, round(sample / BASELINE_BATCH)))
    encoded = sum(len(batch) for batch in chosen)

    def run_sample() -> Row:
        started = time.perf_counter()
        for batch in chosen:
            model.encode(batch, batch_size=BASELINE_BATCH, show_progress_bar=False)
        seconds = time.perf_counter() - started
        # Reported at the sample's rate so the chunks/s column compares like with like.
        return Row(
            "naive fp32 baseline",
            len(texts),
            len(texts) * seconds / encoded,
            f"estimated: {len(chosen)} random batches = {encoded} chunks timed ({seconds:.1f} s)",
        )

    return run_sample


def embed_timer(encoder: SentenceEncoder, texts: list[str]) -> Callable[[], Row]:
    def run() -> Row:
        started = time.perf_counter()
        encoder.encode(texts)
        return Row(
            f"embed-only {encoder.backend} ({encoder.precision})",
            len(texts),
            time.perf_counter() - started,
        )

    return run


def median_rows(timers: list[Callable[[], Row]], rounds: int) -> list[Row]:
    """Each timer run ``rounds`` times, interleaved (load drifts hit every row alike)."""
    runs = [[timer() for timer in timers] for _ in range(rounds)]
    rows = []
    for results in zip(*runs, strict=True):
        seconds = statistics.median(row.seconds for row in results)
        note = results[0].note
        if rounds > 1:
            spread = f"{min(r.seconds for r in results):.1f}-{max(r.seconds for r in results):.1f}"
            note = f"{note}; median of {rounds} runs ({spread} s)".lstrip("; ")
        rows.append(Row(results[0].name, results[0].chunks, seconds, note))
    return rows


def first_search_seconds(index: Path) -> float:
    """Wall time of a new process that opens ``index`` and prints the hits for one question."""
    command = [sys.executable, "-m", "qa.cli", "search", QUESTION, "--index", str(index), "-k", "5"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"search failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds


def run_corpus(
    name: str,
    work: Path,
    encoders: dict[str, SentenceEncoder],
    baseline: SentenceTransformer,
    args: argparse.Namespace,
) -> dict[str, float] | None:
    """Print the table for one corpus; return index and embed-only chunks/s over the baseline's."""
    from qa import Engine
    from qa.index.folder.layout import CACHE

    source = SHARED_CORPUS / name
    if not source.is_dir():
        print(f"\n{name}: skipped, {source} is absent")
        return None
    docs = work / name / "docs"
    files = copy_files(source, docs, args.limit)
    megabytes = sum(path.stat().st_size for path in files) / 1e6
    rows: list[Row] = []

    encoder = encoders[args.backend]
    index = work / name / "index"
    with Engine.open(index, encoder=encoder) as engine:
        # Timed from outside: the summary's own clock starts after the files are read.
        started = time.perf_counter()
        cold = engine.add([docs])
        rows.append(
            Row(
                f"index ({encoder.backend} {encoder.precision}, Engine.add)",
                cold.chunks_embedded,
                time.perf_counter() - started,
            )
        )

        texts = baseline_texts(docs)
        embed_texts = texts
        if 0 < args.embed_limit < len(texts):
            embed_texts = random.Random(0).sample(texts, args.embed_limit)
        timers = [baseline_timer(baseline, texts, args.baseline_sample)]
        timers += [embed_timer(encoders[backend], embed_texts) for backend in BACKENDS]
        baseline_row, *embed_rows = median_rows(timers, args.rounds)
        if len(texts) != cold.chunks_embedded:
            baseline_row = Row(
                baseline_row.name,
                baseline_row.chunks,
                baseline_row.seconds,
                f"{baseline_row.note}; NOTE index embedded {cold.chunks_embedded} texts".lstrip(
                    "; "
                ),
            )
        rows.append(baseline_row)
        rows += [
            Row(row.name, row.chunks, row.seconds, f"{row.rate / baseline_row.rate:.2f}x baseline")
            for row in embed_rows
        ]

        started = time.perf_counter()
        again = engine.add([docs])
        rows.append(
            Row(
                "re-index, unchanged",
                again.chunks_embedded,
                time.perf_counter() - started,
                f"{len(again.unchanged)} documents unchanged",
            )
        )

        edited = files[len(files) // 2]
        with edited.open("a", encoding="utf-8") as handle:
            handle.write("\n\nA closing paragraph the benchmark appends to force an update.\n")
        started = time.perf_counter()
        edit = engine.add([docs])
        seconds = time.perf_counter() - started
        doc_chunks = {info.doc_id: info.chunks for info in engine.documents()}
        touched = sum(doc_chunks.get(doc_id, 0) for doc_id in edit.updated)
        only_that_file = (
            len(edit.updated) == 1 and not edit.added and edit.chunks_embedded <= touched
        )
        rows.append(
            Row(
                "re-index, 1 file edited",
                edit.chunks_embedded,
                seconds,
                f"{len(edit.updated)} document updated ({touched} chunks, "
                f"{edit.chunks_reused} reused from cache); "
                f"{'only that document re-embedded' if only_that_file else 'CHECK FAILED'}",
            )
        )
        total_chunks = len(engine)

    fresh = work / name / "from-cache"
    fresh.mkdir()
    shutil.copy2(index / CACHE, fresh / CACHE)
    with Engine.open(fresh, encoder=encoder) as engine:
        started = time.perf_counter()
        cached = engine.add([docs])
        rows.append(
            Row(
                "index from cache (no model)",
                cached.chunks_reused,
                time.perf_counter() - started,
                "load + clean + chunk + store only",
            )
        )

    # What `citeqa index` leaves for `citeqa search`: the converted model next to the index.
    for entry in encoder.cache_dir.glob(f"{encoder.fingerprint}-*"):
        shutil.copytree(entry, index / "models" / entry.name, dirs_exist_ok=True)
    target = f"target < {SEARCH_TARGET_SECONDS:.0f} s" if name == "defense-docs" else ""
    for attempt in (1, 2):
        seconds = first_search_seconds(index)
        rows.append(
            Row(
                f"open + first search #{attempt}",
                0,
                seconds,
                f"new process, end to end; {target}".rstrip("; "),
            )
        )

    print(f"\n{name}: {len(files)} files, {megabytes:.1f} MB, {total_chunks} chunks in the index")
    print(f"{'step':30s} {'chunks':>7s} {'seconds':>9s} {'chunks/s':>9s}  note")
    for row in rows:
        rate = f"{row.rate:9.1f}" if row.chunks >= 100 else f"{'':9s}"
        print(f"{row.name:30s} {row.chunks:7d} {row.seconds:9.2f} {rate}  {row.note}")
    ratios = {"index": rows[0].rate / baseline_row.rate}
    ratios.update({row.name: row.rate / baseline_row.rate for row in embed_rows})
    print(
        "ratios over the naive fp32 baseline (chunks/s): "
        + ", ".join(f"{label} {ratio:.2f}x" for label, ratio in ratios.items())
        + " (acceptance: index >= 4x, embed-only >= 5x)"
    )
    return ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", choices=CORPORA, help="default: both")
    parser.add_argument("--limit", type=int, default=0, help="only the first N files or pages")
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=512,
        help="time the baseline on N random chunks and extrapolate (0: all chunks)",
    )
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16"))
    parser.add_argument(
        "--backend",
        default="auto",
        choices=("auto", *BACKENDS),
        help="the encoder the index rows use (auto: OpenVINO when it runs the model)",
    )
    parser.add_argument(
        "--embed-limit",
        type=int,
        default=2000,
        help="embed-only rows on N seeded-random chunk texts (0: all)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="repeat the timed encodes R times")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    from sentence_transformers import SentenceTransformer

    from embeddings.encoder import SentenceEncoder
    from embeddings.model_folder import default_model_path

    encoders: dict[str, SentenceEncoder] = {}
    loads = []
    for backend in BACKENDS:
        started = time.perf_counter()
        encoders[backend] = SentenceEncoder(precision=args.precision, backend=backend).load()
        loads.append(f"{encoders[backend].backend} {time.perf_counter() - started:.1f} s")
    if args.backend == "auto":
        args.backend = "openvino"
    baseline = SentenceTransformer(str(default_model_path()), device="cpu")
    for encoder in encoders.values():
        encoder.encode(WARMUP_TEXTS)
    baseline.encode(WARMUP_TEXTS, batch_size=BASELINE_BATCH)
    import torch

    print(
        f"model {default_model_path()}: load {', '.join(loads)} (OpenVINO: converted or from "
        f"{encoders['openvino'].cache_dir}); ours {encoders['torch'].precision}, each backend's "
        f"batch size, length-sorted; index rows use {args.backend}; baseline "
        f"fp32 batch {BASELINE_BATCH}; {torch.get_num_threads()} torch threads; all warmed up on "
        f"{len(WARMUP_TEXTS)} texts"
    )
    work = Path(tempfile.mkdtemp(prefix="citeqa-index-speed-"))
    ratios = {}
    try:
        for name in args.corpus or CORPORA:
            corpus_ratios = run_corpus(name, work, encoders, baseline, args)
            if corpus_ratios is not None:
                ratios[name] = corpus_ratios
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, corpus_ratios in ratios.items():
        print(
            f"\n{name} over the naive fp32 baseline: "
            + ", ".join(f"{label} {ratio:.2f}x" for label, ratio in corpus_ratios.items())
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
