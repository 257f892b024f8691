from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings import vector_index
from embeddings.vector_index import SearchResult, VectorIndex, exact_search, recall_at_k


def unit_rows(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def clustered_rows(rng: np.random.Generator, n: int, d: int, clusters: int) -> np.ndarray:
    """Unit vectors around a few centres, the shape real sentence embeddings have."""
    centres = unit_rows(rng, clusters, d)
    x = centres[rng.integers(0, clusters, n)] + 0.35 * unit_rows(rng, n, d)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def brute_force_top_ids(ids: np.ndarray, vectors: np.ndarray, query: np.ndarray, k: int) -> list:
    scores = vectors @ query
    return [int(i) for i in ids[np.argsort(-scores, kind="stable")[:k]]]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_search_matches_numpy_brute_force(rng: np.random.Generator) -> None:
    vectors = unit_rows(rng, 500, 24)
    ids = rng.choice(10**12, size=500, replace=False).astype(np.int64)
    index = VectorIndex(24)
    index.add(ids, vectors)
    queries = unit_rows(rng, 5, 24)

    result = index.search(queries, 10)

    assert result.ids.shape == (5, 10) and result.ids.dtype == np.int64
    assert result.scores.dtype == np.float32
    for row, query in enumerate(queries):
        assert result.ids[row].tolist() == brute_force_top_ids(ids, vectors, query, 10)
        expected = np.sort(vectors @ query)[::-1][:10]
        np.testing.assert_allclose(result.scores[row], expected, rtol=1e-5, atol=1e-5)


def test_removed_ids_never_come_back(rng: np.random.Generator) -> None:
    vectors = unit_rows(rng, 200, 16)
    ids = np.arange(1000, 1200, dtype=np.int64)
    index = VectorIndex(16)
    index.add(ids, vectors)

    removed = index.remove(np.array([1000, 1001, 1002, 99999], dtype=np.int64))

    assert removed == 3
    assert len(index) == 197
    assert not np.isin([1000, 1001, 1002], index.ids()).any()
    result = index.search(vectors[:3], 5)
    assert not np.isin(result.ids, [1000, 1001, 1002]).any()
    keep = ids >= 1003
    assert result.ids[0].tolist() == brute_force_top_ids(ids[keep], vectors[keep], vectors[0], 5)


def test_adding_an_existing_id_replaces_its_vector(rng: np.random.Generator) -> None:
    vectors = unit_rows(rng, 3, 8)
    index = VectorIndex(8)
    index.add(np.array([1, 2, 3]), vectors)

    index.add(np.array([2]), vectors[:1])

    assert len(index) == 3
    best = index.search(vectors[:1], 3)
    assert sorted(best.ids[0, :2].tolist()) == [1, 2]
    np.testing.assert_allclose(best.scores[0, :2], [1.0, 1.0], atol=1e-5)


def test_short_and_empty_results_are_padded() -> None:
    index = VectorIndex(4)
    query = np.array([[1, 0, 0, 0]], dtype=np.float32)

    empty = index.search(query, 3)
    index.add(np.array([5]), query)
    short = index.search(query, 3)

    assert empty.ids.tolist() == [[-1, -1, -1]]
    assert np.isneginf(empty.scores).all()
    assert short.ids.tolist() == [[5, -1, -1]]
    assert np.isneginf(short.scores[0, 1:]).all()


def test_bad_input_is_rejected() -> None:
    index = VectorIndex(4)
    with pytest.raises(ValueError, match="shape"):
        index.add(np.array([1, 2]), np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="unique"):
        index.add(np.array([1, 1]), np.eye(4, dtype=np.float32)[:2])
    with pytest.raises(ValueError, match="queries"):
        index.search(np.zeros((1, 5), dtype=np.float32), 1)
    with pytest.raises(ValueError, match="kind"):
        VectorIndex(4, kind="hnsw")


def test_filtered_search_returns_k_rare_allowed_ids(rng: np.random.Generator) -> None:
    vectors = unit_rows(rng, 3000, 16)
    ids = np.arange(3000, dtype=np.int64) * 3
    index = VectorIndex(16)
    index.add(ids, vectors)
    allowed = ids[rng.choice(3000, size=7, replace=False)]
    query = unit_rows(rng, 1, 16)

    result = index.search(query, 5, allowed_ids=np.append(allowed, -42))

    mask = np.isin(ids, allowed)
    assert result.ids[0].tolist() == brute_force_top_ids(ids[mask], vectors[mask], query[0], 5)


def test_filtered_search_over_a_large_allowed_set_is_exact(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vector_index, "BRUTE_FORCE_LIMIT", 10)
    vectors = unit_rows(rng, 400, 16)
    ids = np.arange(400, dtype=np.int64)
    index = VectorIndex(16)
    index.add(ids, vectors)
    allowed = ids[ids % 2 == 0]
    query = unit_rows(rng, 1, 16)

    result = index.search(query, 8, allowed_ids=allowed)

    mask = ids % 2 == 0
    assert result.ids[0].tolist() == brute_force_top_ids(ids[mask], vectors[mask], query[0], 8)


def test_save_and_load_round_trip(rng: np.random.Generator, tmp_path: Path) -> None:
    vectors = unit_rows(rng, 300, 12)
    ids = rng.choice(10**15, size=300, replace=False).astype(np.int64)
    index = VectorIndex(12)
    index.add(ids, vectors)
    path = tmp_path / "vectors.faiss"

    index.save(path)
    loaded = VectorIndex.load(path)

    assert len(loaded) == 300
    assert sorted(loaded.ids().tolist()) == sorted(ids.tolist())
    before = index.search(vectors[:4], 6)
    after = loaded.search(vectors[:4], 6)
    np.testing.assert_array_equal(before.ids, after.ids)
    np.testing.assert_allclose(before.scores, after.scores)


def test_loading_garbage_raises_value_error(tmp_path: Path) -> None:
    path = tmp_path / "vectors.faiss"
    path.write_bytes(b"not a faiss index")
    with pytest.raises(ValueError, match="FAISS"):
        VectorIndex.load(path)


def test_ivf_recall_against_flat(rng: np.random.Generator) -> None:
    vectors = clustered_rows(rng, 6000, 32, clusters=60)
    ids = np.arange(6000, dtype=np.int64) + 10**9
    approx = VectorIndex(32, kind="ivf")
    approx.add(ids, vectors)
    flat = VectorIndex(32, kind="flat")
    flat.add(ids, vectors)
    queries = clustered_rows(rng, 200, 32, clusters=60)

    assert approx.is_approximate and not flat.is_approximate
    assert recall_at_k(approx.search(queries, 10), flat.search(queries, 10)) >= 0.9


def test_ivf_supports_remove_filter_and_persistence(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    vectors = clustered_rows(rng, 3000, 16, clusters=20)
    ids = np.arange(3000, dtype=np.int64)
    index = VectorIndex(16, kind="ivf")
    index.add(ids, vectors)

    assert index.remove(ids[:100]) == 100
    allowed = ids[100:104]
    filtered = index.search(vectors[:1], 4, allowed_ids=allowed)
    index.save(tmp_path / "ivf.faiss")
    loaded = VectorIndex.load(tmp_path / "ivf.faiss")

    assert sorted(filtered.ids[0].tolist()) == allowed.tolist()
    assert loaded.is_approximate and len(loaded) == 2900
    assert not np.isin(ids[:100], loaded.ids()).any()
    top = loaded.search(vectors[150:151], 1)
    assert top.ids[0, 0] == 150


def test_auto_kind_goes_approximate_above_threshold_and_back(rng: np.random.Generator) -> None:
    vectors = clustered_rows(rng, 1500, 16, clusters=10)
    ids = np.arange(1500, dtype=np.int64)
    index = VectorIndex(16, approximate_above=1000)

    index.add(ids[:900], vectors[:900])
    small = index.is_approximate
    index.add(ids[900:], vectors[900:])
    large = index.is_approximate
    index.remove(ids[:1100])

    assert (small, large, index.is_approximate) == (False, True, False)
    assert sorted(index.ids().tolist()) == ids[1100:].tolist()
    assert index.search(vectors[1200:1201], 1).ids[0, 0] == 1200


def test_ivf_retrains_only_after_outgrowing_its_lists(rng: np.random.Generator) -> None:
    vectors = clustered_rows(rng, 12000, 8, clusters=30)
    index = VectorIndex(8, kind="ivf")
    index.add(np.arange(2000), vectors[:2000])
    first = index._index

    index.add(np.arange(2000, 2500), vectors[2000:2500])
    after_small_add = index._index
    index.add(np.arange(2500, 12000), vectors[2500:])

    assert after_small_add is first
    assert index._index.nlist > first.nlist
    assert index.search(vectors[7000:7001], 1).ids[0, 0] == 7000


def test_recall_at_k_counts_found_exact_ids() -> None:
    exact = SearchResult(
        ids=np.array([[1, 2, 3], [4, -1, -1]]), scores=np.zeros((2, 3), dtype=np.float32)
    )
    approx = SearchResult(
        ids=np.array([[3, 9, 1], [-1, -1, -1]]), scores=np.zeros((2, 3), dtype=np.float32)
    )
    assert recall_at_k(approx, exact) == pytest.approx(2 / 4)
    assert recall_at_k(exact, exact) == 1.0


def test_exact_search_breaks_ties_by_smaller_id() -> None:
    vectors = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)
    result = exact_search(np.array([9, 4, 1]), vectors, np.array([[1, 0]], dtype=np.float32), 3)
    assert result.ids.tolist() == [[4, 9, 1]]


def test_growing_past_the_threshold_in_batches_keeps_recall_against_brute_force(
    rng: np.random.Generator,
) -> None:
    """Batches as a streamed build adds them: exact below the threshold, IVF above it, lists
    retrained once outgrown; recall@10 against numpy brute force stays >= 0.95, removals too."""
    vectors = clustered_rows(rng, 16_000, 32, clusters=80)
    ids = np.arange(16_000, dtype=np.int64) * 7 + 3
    queries = clustered_rows(rng, 200, 32, clusters=80)
    index = VectorIndex(32, approximate_above=3000)
    kinds = []
    for start in range(0, 16_000, 2000):
        index.add(ids[start : start + 2000], vectors[start : start + 2000])
        kinds.append(index.is_approximate)
        added = ids[: start + 2000]
        exact = exact_search(added, vectors[: start + 2000], queries, 10)
        assert recall_at_k(index.search(queries, 10), exact) >= 0.95
    assert kinds == [False, True, True, True, True, True, True, True]

    index.remove(ids[::3])
    kept = np.ones(16_000, dtype=bool)
    kept[::3] = False
    exact = exact_search(ids[kept], vectors[kept], queries, 10)
    assert recall_at_k(index.search(queries, 10), exact) >= 0.95
    assert not np.isin(index.search(queries, 10).ids, ids[::3]).any()


def test_the_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="approximate_above"):
        VectorIndex(8, approximate_above=0)


def test_the_default_threshold_is_the_settings_default() -> None:
    from qa.settings import Settings

    assert Settings().approximate_above == vector_index.APPROXIMATE_THRESHOLD
