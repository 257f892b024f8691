"""Approximate dense search at scale: FAISS HNSW and IVF against the exact flat index.

Usage: python bench/ann.py [--vectors FILE.faiss] [--size N] [--queries Q] [--seed S]

Vectors: with ``--vectors`` (an index folder's ``vectors-G.faiss`` snapshot: real sentence
embeddings), the collection is grown to N by adding copies of them with gaussian noise of norm
~0.6 (cosine ~0.85 to the original, ~0.72 between two copies), renormalised, which keeps the
clusters of real embeddings; queries are noisy copies of held-out real vectors. Without it,
clustered random unit vectors (N / 50 centres). For each structure it prints build seconds
(training included), seconds to add and to remove 1% of N, single-query search p50/p95 in ms
and recall@10 against exact search. HNSW in FAISS cannot remove vectors: its removal figure
is a full rebuild.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

# This checkout's packages, not whatever an editable install points at.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from embeddings import vector_index
from embeddings.vector_index import SearchResult, VectorIndex, exact_search, recall_at_k

K = 10


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def real_vectors(path: Path, size: int, queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(size, d) collection and (queries, d) queries grown from a FAISS snapshot's vectors."""
    source = VectorIndex.load(path)
    base = source._reconstruct(source.ids())
    rng = np.random.default_rng(seed)
    rng.shuffle(base)
    held, base = base[:queries], base[queries:]
    d = base.shape[1]
    scale = 0.6 / np.sqrt(d)
    picks = rng.integers(0, base.shape[0], size)
    collection = _unit(base[picks] + rng.normal(0, scale, (size, d)))
    # The real vectors themselves stay in, as a real collection would hold them.
    collection[: base.shape[0]] = base[: min(size, base.shape[0])]
    return collection, _unit(held + rng.normal(0, scale, held.shape))


def clustered_vectors(
    size: int, queries: int, seed: int, d: int = 384
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = _unit(rng.standard_normal((max(1, size // 50), d)))

    def around(n: int) -> np.ndarray:
        return _unit(
            centres[rng.integers(0, len(centres), n)] + rng.normal(0, 0.7 / np.sqrt(d), (n, d))
        )

    return around(size), around(queries)


def timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def flat_index(d: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(d))


def hnsw_index(d: int, m: int = 32, construction: int = 80, search: int = 96) -> faiss.Index:
    inner = faiss.IndexHNSWFlat(d, m, faiss.METRIC_INNER_PRODUCT)
    inner.hnsw.efConstruction = construction
    inner.hnsw.efSearch = search
    return faiss.IndexIDMap2(inner)


def row(
    name: str,
    make: Callable[[np.ndarray], faiss.Index],
    vectors: np.ndarray,
    queries: np.ndarray,
    exact: SearchResult,
    removable: bool,
) -> None:
    n = vectors.shape[0]
    extra = max(1, n // 100)
    ids = np.arange(n, dtype=np.int64)
    index: faiss.Index | None = None

    def build() -> None:
        nonlocal index
        index = make(vectors[: n - extra])
        index.add_with_ids(vectors[: n - extra], ids[: n - extra])

    build_s = timed(build)
    assert index is not None
    add_s = timed(lambda: index.add_with_ids(vectors[n - extra :], ids[n - extra :]))
    latencies = []
    found = np.empty((len(queries), K), dtype=np.int64)
    for i, query in enumerate(queries):
        started = time.perf_counter()
        _, found[i] = index.search(query[None, :], K)
        latencies.append((time.perf_counter() - started) * 1000)
    recall = recall_at_k(SearchResult(found, np.zeros_like(found, dtype=np.float32)), exact)
    if removable:
        remove = f"{timed(lambda: index.remove_ids(ids[:extra])):.2f}"
    else:
        remove = f"rebuild {build_s:.1f}"
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(
        f"{name:<28} build {build_s:7.1f} s  add 1% {add_s:6.2f} s  remove 1% {remove:>12} s  "
        f"search p50 {statistics.median(latencies):6.2f} ms p95 {p95:6.2f} ms  "
        f"recall@10 {recall:.3f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=Path)
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.vectors:
        vectors, queries = real_vectors(args.vectors, args.size, args.queries, args.seed)
    else:
        vectors, queries = clustered_vectors(args.size, args.queries, args.seed)
    n, d = vectors.shape
    print(f"{n} vectors of {d} dims, {len(queries)} queries, {faiss.omp_get_max_threads()} threads")
    exact = exact_search(np.arange(n, dtype=np.int64), vectors, queries, K)

    def ivf(sample: np.ndarray) -> faiss.Index:
        index = VectorIndex(d, kind="ivf")._new_ivf(sample)
        return index

    row("flat (exact)", lambda _: flat_index(d), vectors, queries, exact, True)
    row(
        f"ivf (4*sqrt n lists, 1/{vector_index._NPROBE_FRACTION})",
        ivf,
        vectors,
        queries,
        exact,
        True,
    )
    for m, ef in ((16, 64), (32, 96), (32, 160)):
        row(
            f"hnsw M{m} efSearch {ef}",
            lambda _, m=m, ef=ef: hnsw_index(d, m, 80, ef),
            vectors,
            queries,
            exact,
            False,
        )


if __name__ == "__main__":
    main()
