"""Indexing speed: cold build, no-op re-add, one edited document, reopen, rebuild from cache.

Usage: python bench/index_speed.py [--docs ../shared/corpus/defense-docs] [--limit N]
                                   [--precision auto|fp32|bf16]
Works on a temporary copy of the documents (one of them gets edited) and temporary index
folders, so nothing outside /tmp changes. "rebuild from cache" indexes into a fresh folder that
holds only the embedding cache of the first build: it is the pipeline's cost without the model.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=SHARED / "corpus" / "defense-docs")
    parser.add_argument("--limit", type=int, default=0, help="index only the first N files")
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16"))
    args = parser.parse_args()
    if not args.docs.is_dir():
        print(f"skipped: {args.docs} is absent", file=sys.stderr)
        return 0

    from embeddings.encoder import Encoder
    from qa import Engine
    from qa.store import CACHE

    files = sorted(p for p in args.docs.iterdir() if p.is_file())
    files = files[: args.limit] if args.limit else files
    work = Path(tempfile.mkdtemp(prefix="citeqa-index-speed-"))
    try:
        docs = work / "docs"
        docs.mkdir()
        for path in files:
            shutil.copy2(path, docs / path.name)
        started = time.perf_counter()
        encoder = Encoder(precision=args.precision).load()
        print(
            f"{len(files)} files; model load {time.perf_counter() - started:.1f} s, "
            f"precision {encoder.precision}"
        )

        rows: list[tuple[str, float, int]] = []

        def timed_add(name: str, engine: Engine) -> None:
            # Timed from outside: the summary's own clock starts after the files are read.
            started = time.perf_counter()
            summary = engine.add([docs])
            rows.append((name, time.perf_counter() - started, summary.chunks_embedded))

        with Engine.open(work / "index", encoder=encoder) as engine:
            timed_add("cold build", engine)
            timed_add("unchanged re-add", engine)
            edited = files[len(files) // 2]
            with (docs / edited.name).open("a", encoding="utf-8") as handle:
                handle.write("\n\nA closing paragraph added by the benchmark to force an update.\n")
            timed_add("one file edited", engine)
            chunks = len(engine.store)

        started = time.perf_counter()
        Engine.open(work / "index", encoder=encoder).close()
        rows.append(("reopen", time.perf_counter() - started, 0))

        (work / "fresh").mkdir()
        shutil.copy2(work / "index" / CACHE, work / "fresh" / CACHE)
        with Engine.open(work / "fresh", encoder=encoder) as engine:
            timed_add("rebuild from cache", engine)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{chunks} chunks")
    for name, seconds, embedded in rows:
        # Rates over a handful of chunks measure overheads, not the model.
        rate = f"{embedded / seconds:7.1f} chunks/s" if embedded >= 100 else ""
        print(f"{name:20s} {seconds:8.2f} s  {embedded:6d} embedded  {rate}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
