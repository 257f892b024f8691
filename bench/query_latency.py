"""Query latency of ``engine.search`` and ``engine.ask`` over the 56-document index.

Usage: python bench/query_latency.py [--index DIR] [--docs ../shared/corpus/defense-docs]
Builds (or updates) the index first, then times each dev question once (both dev sets: 70
distinct questions). Each question is asked once, so that its candidate sentences' vectors
come from the index (kept there at index time, ``Settings.answer_vectors``) or are encoded, not
from the in-memory cache a repeated question would hit. Prints p50/p95 in milliseconds and the
ratio to the targets (30 ms search; 50 ms ask).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / ".citeqa" / "bench-defense-docs")
    parser.add_argument("--docs", type=Path, default=SHARED / "corpus" / "defense-docs")
    parser.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        default=[SHARED / "eval" / "dev-multi.jsonl", SHARED / "eval" / "dev-rok2020.jsonl"],
    )
    args = parser.parse_args()
    if not args.docs.is_dir():
        print(f"skipped: {args.docs} is absent", file=sys.stderr)
        return 0

    from qa import Engine

    engine = Engine.open(args.index)
    engine.add([args.docs])
    questions = [
        json.loads(line)["question"]
        for path in args.questions
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    # Warm-up on a question of its own: the first call pays for lazy imports and allocations.
    engine.ask("What does the defence policy say about reserve forces?")

    timings: dict[str, list[float]] = {"search": [], "ask": []}
    for question in questions:
        for name, call in (("search", engine.search), ("ask", engine.ask)):
            started = time.perf_counter()
            call(question)
            timings[name].append((time.perf_counter() - started) * 1000)

    targets = {"search": 30.0, "ask": 50.0}
    print(f"{len(engine)} chunks, {len(questions)} questions")
    for name, samples in timings.items():
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        print(
            f"{name:6s} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
            f"target {targets[name]:.0f} ms  p50/target {p50 / targets[name]:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
