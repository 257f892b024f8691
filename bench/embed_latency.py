"""Single-query embedding latency: one short question per ``SentenceEncoder.encode`` call, per
backend.

Usage: python bench/embed_latency.py [--calls N] [--precision auto|fp32|bf16]

Loads the bundled model on torch and on OpenVINO, warms both up, then times ``--calls`` calls
of ``encode([question])`` per backend, alternating backends in blocks of 25 calls so that
load from other processes hits both alike. Prints p50/p95 in milliseconds, the ratio
OpenVINO/torch, and the target (one short query <= 5 ms). The questions are written here, not
taken from a dev set.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import argparse
import statistics
import sys
import time

QUESTIONS = [
    "What is the defense budget?",
    "How many troops are stationed abroad?",
    "When was the cyber command founded?",
    "Which countries joined the naval exercise?",
    "What does the reserve force reform change?",
    "How long is conscript service?",
    "Who commands the joint chiefs of staff?",
    "What are the main threats to national security?",
    "Which aircraft will replace the old fighters?",
    "How is military health care organised?",
    "What is the role of women in the armed forces?",
    "Where are peacekeeping units deployed?",
]
TARGET_MS = 5.0
# Backends alternate in blocks, not call by call: torch's OpenMP threads keep spinning for a
# while after each call and would slow whichever call came right after.
BLOCK = 25


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16"))
    args = parser.parse_args()

    from embeddings.encoder import SentenceEncoder

    encoders = {
        backend: SentenceEncoder(precision=args.precision, backend=backend).load()
        for backend in ("torch", "openvino")
    }
    for encoder in encoders.values():
        for question in QUESTIONS:
            encoder.encode([question])
    timings: dict[str, list[float]] = {name: [] for name in encoders}
    for block in range(0, args.calls, BLOCK):
        for name, encoder in encoders.items():
            for call in range(block, min(block + BLOCK, args.calls)):
                started = time.perf_counter()
                encoder.encode([QUESTIONS[call % len(QUESTIONS)]])
                timings[name].append((time.perf_counter() - started) * 1000)

    p50 = {name: statistics.median(samples) for name, samples in timings.items()}
    for name, samples in timings.items():
        encoder = encoders[name]
        print(
            f"{encoder.backend:12s} {encoder.precision}: p50 {p50[name]:6.2f} ms  "
            f"p95 {percentile(samples, 0.95):6.2f} ms  ({args.calls} calls; target p50 "
            f"<= {TARGET_MS:.0f} ms)"
        )
    print(f"p50 openvino/torch: {p50['openvino'] / p50['torch']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
