"""FAISS inner-product index over unit vectors, keyed by caller-chosen int64 ids.

Small and medium collections use an exact flat index (``IndexIDMap2`` over ``IndexFlatIP``).
Above ``approximate_above`` vectors the ``auto`` kind switches to an inverted-file index
(``IndexIVFFlat``), which unlike HNSW supports removing vectors, so incremental re-indexing keeps
working; new vectors go into the trained lists as they come, and the lists are retrained only
once the collection has grown fourfold. Measured at 200k real-derived vectors (bench/ann.py),
HNSW (M 32, efSearch 96) searched about as fast at recall@10 0.995 vs IVF's 1.000, but
cannot remove a vector without a full rebuild. Filtered searches over few allowed ids are
answered exactly by brute force over just those vectors, so rare filters still return ``k``
results.

This module owns both structures, the switch-over between them and the filtered search: they
share one id space, so they are kept side by side.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from embeddings.atomic import atomic_write_bytes

logger = logging.getLogger(__name__)

APPROXIMATE_THRESHOLD = 100_000
"""By default, ``auto`` indexes holding more vectors than this become approximate (IVF): a
flat search reads every vector (150 MB at 100k x 384 dims) for each query, ~10 ms on a quiet
2-core box, and IVF reads ~1/6 of them (bench/ann.py). ``qa.Settings.approximate_above``
mirrors it."""

BRUTE_FORCE_LIMIT = 20_000
"""Filtered searches allowing at most this many ids score exactly those vectors."""

KINDS = ("auto", "flat", "ivf")

# Probing 1/6 of the lists: on the 635-document collection (50k real MiniLM chunk vectors),
# the 87 dev questions' recall@10 against exact search was 0.929 at 1/16, 0.968 at 1/8,
# 0.975 at 1/6 (1.3 ms a query against 8.4 ms exact). With few lists (a small collection, or
# a low threshold) a fraction is a handful, which misses neighbours next door: at least 16.
_NPROBE_FRACTION = 6
_MIN_NPROBE = 16
# FAISS warns below 39 training points per list.
_MIN_POINTS_PER_LIST = 39
# FAISS warns below 39; at 100k vectors 64 per list trains in 0.7x the time of 256 with the
# same recall@10 (0.999, bench figures in the commit that set it).
_TRAINING_POINTS_PER_LIST = 64
# Retrain the coarse quantizer once the collection outgrows the size it was trained for.
_RETRAIN_GROWTH = 4


@dataclass(frozen=True)
class SearchResult:
    """Per query, the best ids first; missing results have id ``-1`` and score ``-inf``.

    ``ids``: (m, k) int64. ``scores``: (m, k) float32 inner products (cosine for unit vectors).
    """

    ids: np.ndarray
    scores: np.ndarray


@functools.cache
def _configure_threads() -> None:
    # Honour an explicit OMP_NUM_THREADS; otherwise use the cores this process may run on.
    if "OMP_NUM_THREADS" not in os.environ:
        faiss.omp_set_num_threads(len(os.sched_getaffinity(0)))


def _list_count(n: int) -> int:
    return max(1, min(int(4 * math.sqrt(n)), n // _MIN_POINTS_PER_LIST))


def _as_ids(ids: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(ids, dtype=np.int64)
    if out.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {out.shape}")
    return out


def _empty_result(m: int, k: int) -> SearchResult:
    return SearchResult(
        ids=np.full((m, k), -1, dtype=np.int64),
        scores=np.full((m, k), -np.inf, dtype=np.float32),
    )


def exact_search(ids: np.ndarray, vectors: np.ndarray, queries: np.ndarray, k: int) -> SearchResult:
    """Exact top-``k`` inner-product search in numpy.

    ``ids``: (n,) int64; ``vectors``: (n, d) float32; ``queries``: (m, d) float32.
    Ties are broken by smaller id so results are deterministic.
    """
    m = queries.shape[0]
    result = _empty_result(m, k)
    if ids.size == 0:
        return result
    order = np.argsort(ids, kind="stable")
    ids, vectors = ids[order], vectors[order]
    scores = queries @ vectors.T
    take = min(k, ids.size)
    best = np.argsort(-scores, axis=1, kind="stable")[:, :take]
    result.ids[:, :take] = ids[best]
    result.scores[:, :take] = np.take_along_axis(scores, best, axis=1)
    return result


def recall_at_k(approx: SearchResult, exact: SearchResult) -> float:
    """Fraction of the exact results' real ids (not ``-1``) that the approximate results found.

    Both results are (m, k) for the same queries; returns 1.0 when ``exact`` holds no ids.
    """
    found = 0
    total = 0
    for approx_row, exact_row in zip(approx.ids, exact.ids, strict=True):
        wanted = exact_row[exact_row >= 0]
        total += wanted.size
        found += int(np.isin(wanted, approx_row[approx_row >= 0]).sum())
    return found / total if total else 1.0


class VectorIndex:
    """Inner product over unit vectors. Cheap to construct; FAISS is set up on the first add."""

    def __init__(
        self, dimension: int, *, kind: str = "auto", approximate_above: int = APPROXIMATE_THRESHOLD
    ) -> None:
        if dimension <= 0:
            raise ValueError(f"dimension must be positive, got {dimension}")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if approximate_above < 1:
            raise ValueError(f"approximate_above must be positive, got {approximate_above}")
        self.dimension = dimension
        self.kind = kind
        self.approximate_above = approximate_above
        self._index: faiss.Index | None = None
        _configure_threads()

    # ---------------------------------------------------------------- structure
    @property
    def is_approximate(self) -> bool:
        return isinstance(self._index, faiss.IndexIVF)

    def _wanted_approximate(self, n: int) -> bool:
        if self.kind == "auto":
            # Hysteresis: shrinking a little below the threshold does not flip back and forth.
            limit = self.approximate_above
            if self.is_approximate:
                limit //= 2
            return n > limit
        return self.kind == "ivf"

    def _new_flat(self) -> faiss.Index:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))

    def _new_ivf(self, vectors: np.ndarray) -> faiss.IndexIVF:
        nlist = _list_count(vectors.shape[0])
        quantizer = faiss.IndexFlatIP(self.dimension)
        index = faiss.IndexIVFFlat(quantizer, self.dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        index.own_fields = True
        quantizer.this.disown()
        sample = vectors
        limit = nlist * _TRAINING_POINTS_PER_LIST
        if sample.shape[0] > limit:
            rows = np.random.default_rng(0).choice(sample.shape[0], limit, replace=False)
            sample = vectors[np.sort(rows)]
        index.train(sample)
        # A hash table maps ids to list positions so vectors can be reconstructed by id.
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        index.nprobe = min(nlist, max(_MIN_NPROBE, nlist // _NPROBE_FRACTION))
        logger.info("built IVF index: %d lists, nprobe %d", nlist, index.nprobe)
        return index

    def _restructure(self) -> None:
        """Rebuild as flat or IVF when the size calls for it, keeping every id and vector."""
        n = len(self)
        approximate = self._wanted_approximate(n) and n >= _MIN_POINTS_PER_LIST
        outgrown = self.is_approximate and n > _RETRAIN_GROWTH * self._trained_for()
        if approximate == self.is_approximate and not outgrown:
            return
        ids = self.ids()
        vectors = self._reconstruct(ids)
        index = self._new_ivf(vectors) if approximate else self._new_flat()
        index.add_with_ids(vectors, ids)
        self._index = index

    def _trained_for(self) -> int:
        assert isinstance(self._index, faiss.IndexIVF)
        # Inverts _list_count: both of its bounds held for the size the lists were built for.
        nlist = self._index.nlist
        return max(int((nlist / 4) ** 2), nlist * _MIN_POINTS_PER_LIST)

    def _reconstruct(self, ids: np.ndarray) -> np.ndarray:
        if ids.size == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        assert self._index is not None
        return self._index.reconstruct_batch(ids)

    # ---------------------------------------------------------------- updates
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under ``ids``; an id already present has its vector replaced.

        ``ids``: (n,) int64, unique. ``vectors``: (n, d) float32, expected L2-normalised.
        """
        ids = _as_ids(ids)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (ids.size, self.dimension):
            raise ValueError(
                f"expected vectors of shape ({ids.size}, {self.dimension}), got {vectors.shape}"
            )
        if np.unique(ids).size != ids.size:
            raise ValueError("ids passed to add must be unique")
        if not np.isfinite(vectors).all():
            raise ValueError("vectors must be finite")
        if ids.size == 0:
            return
        if self._index is None:
            self._index = self._new_flat()
        present = ids[np.isin(ids, self.ids())]
        if present.size:
            self._index.remove_ids(present)
        # Added to the current structure first, so that going approximate trains on everything.
        self._index.add_with_ids(vectors, ids)
        self._restructure()

    def remove(self, ids: np.ndarray) -> int:
        """Remove the given ids (absent ones are ignored); returns how many were removed."""
        ids = _as_ids(ids)
        if self._index is None or ids.size == 0:
            return 0
        removed = int(self._index.remove_ids(np.unique(ids)))
        self._restructure()
        return removed

    # ---------------------------------------------------------------- queries
    def __len__(self) -> int:
        return 0 if self._index is None else int(self._index.ntotal)

    def ids(self) -> np.ndarray:
        """All stored ids, (n,) int64, in no particular order."""
        if self._index is None:
            return np.zeros(0, dtype=np.int64)
        if isinstance(self._index, faiss.IndexIDMap2):
            return faiss.vector_to_array(self._index.id_map).astype(np.int64, copy=False)
        lists = self._index.invlists
        parts = [
            faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
            for i in range(lists.nlist)
            if lists.list_size(i)
        ]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)

    def search(
        self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> SearchResult:
        """Top-``k`` ids by inner product for each query, optionally only among ``allowed_ids``.

        ``queries``: (m, d) float32. Returns (m, k) arrays; with fewer than ``k`` eligible
        vectors the tail is padded with id ``-1`` / score ``-inf``.
        """
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if queries.ndim != 2 or queries.shape[1] != self.dimension:
            raise ValueError(f"queries must have shape (m, {self.dimension}), got {queries.shape}")
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        m = queries.shape[0]
        if self._index is None or len(self) == 0 or m == 0:
            return _empty_result(m, k)
        if allowed_ids is None:
            scores, ids = self._index.search(queries, k)
            return _padded(ids, scores)
        allowed = np.unique(_as_ids(allowed_ids))
        if allowed.size <= BRUTE_FORCE_LIMIT:
            allowed = allowed[np.isin(allowed, self.ids())]
            return exact_search(allowed, self._reconstruct(allowed), queries, k)
        selector = faiss.IDSelectorBatch(allowed)
        if self.is_approximate:
            params = faiss.SearchParametersIVF(sel=selector, nprobe=self._index.nprobe)
        else:
            params = faiss.SearchParameters(sel=selector)
        scores, ids = self._index.search(queries, k, params=params)
        return _padded(ids, scores)

    # ---------------------------------------------------------------- persistence
    def save(self, path: Path) -> None:
        """Write the index to ``path`` atomically (a crash leaves the previous file intact)."""
        index = self._index if self._index is not None else self._new_flat()
        atomic_write_bytes(Path(path), faiss.serialize_index(index).tobytes())

    @classmethod
    def load(
        cls, path: Path, *, kind: str = "auto", approximate_above: int = APPROXIMATE_THRESHOLD
    ) -> VectorIndex:
        """Read an index written by ``save``; raises ``ValueError`` if it is not one."""
        data = np.frombuffer(Path(path).read_bytes(), dtype=np.uint8)
        try:
            index = faiss.deserialize_index(data)
        except RuntimeError as exc:
            raise ValueError(f"{path} is not a readable FAISS index: {exc}") from exc
        if isinstance(index, faiss.IndexIVF):
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
        elif not isinstance(index, faiss.IndexIDMap2):
            raise ValueError(f"{path} holds an unsupported FAISS index ({type(index).__name__})")
        if index.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise ValueError(f"{path} holds an index that does not use inner product")
        vector_index = cls(index.d, kind=kind, approximate_above=approximate_above)
        vector_index._index = index
        return vector_index


def _padded(ids: np.ndarray, scores: np.ndarray) -> SearchResult:
    ids = ids.astype(np.int64, copy=False)
    scores = scores.astype(np.float32, copy=True)
    scores[ids < 0] = -np.inf
    return SearchResult(ids=ids, scores=scores)
