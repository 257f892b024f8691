"""NNCF int8 against OpenVINO bf16 on this CPU: speed, cosine to fp32, retrieval on the 2020 paper.

Usage: python bench/int8.py [--calibration N] [--sample N]

Quantizes the cached OpenVINO conversion of the bundled model with NNCF (``pip install nncf``;
skipped without it, or without ../shared), calibrated on N chunks (default 300) of documents
other than the 2020 white paper (``../shared/corpus/defense-docs``), none of them a dev
question. Then, on N seeded-random chunks of the 2020 paper (default 600): cosine of int8 and
bf16 vectors to fp32, and chunks/s of each, 3 alternating rounds (median); then one index per
precision of the 2020 paper with dense-only and hybrid recall@5 and MRR@10 on dev-rok2020 and
dev-rok2020-more. The issue's rule for making int8 the default on VNNI/AMX CPUs: dense-only
recall@5 within 0.01 of bf16 on every dev file, hybrid figures unchanged.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import argparse
import importlib.util
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PAPER = SHARED / "corpus" / "rok-dwp-2020-pages"
OTHERS = SHARED / "corpus" / "defense-docs"
DEV_FILES = ("dev-rok2020.jsonl", "dev-rok2020-more.jsonl")
BATCH = 16


class Int8Encoder:
    """The quantized model behind the ``qa.encoder.Encoder`` protocol, with the fp32 model's
    fingerprint so that it fills an index like the others."""

    precision = "int8"

    def __init__(self, model: object, token_ids: object, limit: int, fingerprint: str) -> None:
        import openvino

        from embeddings.openvino_backend import OpenVinoBackend

        # bf16 for whatever NNCF left unquantized, as the default model runs.
        self._backend = OpenVinoBackend(
            openvino.Core(),
            model,  # type: ignore[arg-type]
            token_ids,  # type: ignore[arg-type]
            limit,
            "bf16",
            None,
        )
        self.dimension = self._backend.dimension
        self.fingerprint = fingerprint

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from embeddings.vectors import l2_normalize

        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return l2_normalize(self._backend.embed(texts, BATCH))


def chunk_texts(paths: Sequence[Path]) -> list[str]:
    from qa.indexing.pipeline import chunk_paths
    from qa.text.fields import dense_text

    return list(dict.fromkeys(dense_text(chunk) for chunk in chunk_paths(paths).chunks))


def quantized(calibration: int) -> Int8Encoder:
    import nncf
    import openvino

    from embeddings.encoder import SentenceEncoder
    from embeddings.model_cache import MANIFEST
    from embeddings.tokens import padded_batches, plain_token_ids

    reference = SentenceEncoder(precision="fp32").load()
    (entry,) = reference.cache_dir.glob(f"{reference.fingerprint}-fp32-openvino-*")
    limit = int(json.loads((entry / MANIFEST).read_text())["metadata"]["max_seq_length"])
    token_ids = plain_token_ids(reference.folder, limit)
    others = sorted(path for path in OTHERS.iterdir() if "2020" not in path.name)[:8]
    texts = chunk_texts(others)
    texts = random.Random(0).sample(texts, min(calibration, len(texts)))
    batches = [
        {"input_ids": ids, "attention_mask": mask}
        for _, ids, mask in padded_batches(token_ids(texts), BATCH)
    ]
    started = time.perf_counter()
    model = nncf.quantize(
        openvino.Core().read_model(entry / "model.xml"),
        nncf.Dataset(batches),
        model_type=nncf.ModelType.TRANSFORMER,
        subset_size=len(batches),
    )
    print(
        f"quantized on {len(texts)} chunks of {len(others)} other documents in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return Int8Encoder(model, token_ids, limit, reference.fingerprint)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibration", type=int, default=300)
    parser.add_argument("--sample", type=int, default=600)
    args = parser.parse_args()
    if importlib.util.find_spec("nncf") is None:
        print("skipped: nncf is not installed (pip install nncf)", file=sys.stderr)
        return 0
    if not PAPER.is_dir() or not OTHERS.is_dir():
        print(f"skipped: {PAPER} or {OTHERS} is absent", file=sys.stderr)
        return 0

    from embeddings.encoder import SentenceEncoder
    from qa import Engine
    from qa.evaluate import first_relevant_rank, load_questions, recall_and_mrr

    int8 = quantized(args.calibration)
    fp32 = SentenceEncoder(precision="fp32").load()
    encoders = {"bf16": SentenceEncoder(precision="bf16").load(), "int8": int8}
    sample = random.Random(1).sample(chunk_texts([PAPER]), args.sample)
    reference = fp32.encode(sample)
    for name, encoder in encoders.items():
        cosines = np.sum(encoder.encode(sample) * reference, axis=1)
        print(f"{name}: cosine to fp32 mean {cosines.mean():.5f}, worst {cosines.min():.5f}")
    rates: dict[str, list[float]] = {name: [] for name in encoders}
    for round_ in range(3):
        order = list(encoders.items())
        for name, encoder in order if round_ % 2 == 0 else reversed(order):
            started = time.perf_counter()
            encoder.encode(sample)
            rates[name].append(len(sample) / (time.perf_counter() - started))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(
        ", ".join(f"{name} {rate:.1f} chunks/s" for name, rate in medians.items())
        + f": int8/bf16 {medians['int8'] / medians['bf16']:.2f}x",
        flush=True,
    )
    work = Path(tempfile.mkdtemp(prefix="citeqa-int8-"))
    try:
        for name, encoder in encoders.items():
            with Engine.open(work / name, encoder=encoder) as engine:
                engine.add([PAPER])
                for dev in DEV_FILES:
                    questions = [q for q in load_questions(SHARED / "eval" / dev) if q.answer]
                    for mode in ("dense", "hybrid"):
                        ranks = [
                            first_relevant_rank(engine.search(q.question, k=10, mode=mode), q)
                            for q in questions
                        ]
                        recall, mrr = recall_and_mrr(ranks)
                        print(f"{name} {dev} {mode}: recall@5 {recall[5]:.3f} MRR@10 {mrr:.4f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
