"""Retrieval quality of the fast (bf16) encoder against fp32 on the 2020 white paper dev set.

Usage: python bench/precision_mrr.py [--pages ../shared/corpus/rok-dwp-2020-pages]
Builds one index per precision in temporary folders and prints recall@k and MRR@10 for hybrid
and dense-only search, then the MRR difference (acceptance: within 0.005 of fp32).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=SHARED / "corpus" / "rok-dwp-2020-pages")
    parser.add_argument("--questions", type=Path, default=SHARED / "eval" / "dev-rok2020.jsonl")
    args = parser.parse_args()
    if not args.pages.is_dir():
        print(f"skipped: {args.pages} is absent", file=sys.stderr)
        return 0

    from embeddings.encoder import SentenceEncoder, cpu_supports_bf16
    from qa import Engine
    from qa.evaluate import first_relevant_rank, load_questions, recall_and_mrr

    if not cpu_supports_bf16():
        print("this CPU has no native bf16: the encoder runs fp32 only, nothing to compare")
        return 0
    questions = [q for q in load_questions(args.questions) if q.answer]
    work = Path(tempfile.mkdtemp(prefix="citeqa-precision-"))
    mrr: dict[tuple[str, str], float] = {}
    try:
        for precision in ("fp32", "bf16"):
            encoder = SentenceEncoder(precision=precision).load()
            with Engine.open(work / precision, encoder=encoder) as engine:
                engine.add([args.pages])
                for mode in ("hybrid", "dense"):
                    ranks = [
                        first_relevant_rank(engine.search(q.question, k=10, mode=mode), q)
                        for q in questions
                    ]
                    recall, mrr[precision, mode] = recall_and_mrr(ranks)
                    shown = " ".join(f"recall@{c}={v:.3f}" for c, v in recall.items())
                    print(f"{precision} {mode:6s} {shown} MRR@10={mrr[precision, mode]:.4f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for mode in ("hybrid", "dense"):
        delta = mrr["bf16", mode] - mrr["fp32", mode]
        print(f"{mode}: bf16 - fp32 MRR@10 = {delta:+.4f} (acceptance: |delta| <= 0.005)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
