from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.cache import EmbeddingCache


def test_vectors_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "embeddings.sqlite"
    vectors = np.random.default_rng(1).standard_normal((3, 5)).astype(np.float32)
    cache = EmbeddingCache(path)
    cache.put_many("model-a", ["k1", "k2", "k3"], vectors)
    cache.close()

    reopened = EmbeddingCache(path)
    found = reopened.get_many("model-a", ["k3", "k1", "absent"])
    reopened.close()

    assert set(found) == {"k1", "k3"}
    assert found["k1"].dtype == np.float32
    np.testing.assert_array_equal(found["k1"], vectors[0])
    np.testing.assert_array_equal(found["k3"], vectors[2])


def test_fingerprints_are_kept_apart(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "embeddings.sqlite")
    cache.put_many("model-a", ["same"], np.ones((1, 4), dtype=np.float32))
    cache.put_many("model-b", ["same"], np.full((1, 2), 2.0, dtype=np.float32))

    a = cache.get_many("model-a", ["same"])["same"]
    b = cache.get_many("model-b", ["same"])["same"]
    c = cache.get_many("model-c", ["same"])

    assert a.tolist() == [1.0] * 4
    assert b.tolist() == [2.0, 2.0]
    assert c == {}


def test_put_replaces_and_many_keys_are_looked_up(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "embeddings.sqlite")
    keys = [f"key-{i}" for i in range(1234)]
    vectors = np.arange(1234 * 2, dtype=np.float32).reshape(1234, 2)
    cache.put_many("m", keys, vectors)
    cache.put_many("m", ["key-0"], np.array([[-1.0, -1.0]], dtype=np.float32))

    found = cache.get_many("m", keys)

    assert len(found) == 1234
    assert found["key-0"].tolist() == [-1.0, -1.0]
    assert found["key-1233"].tolist() == vectors[1233].tolist()


def test_mismatched_or_non_finite_vectors_are_refused(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "embeddings.sqlite")
    with pytest.raises(ValueError, match="expected 2 vectors"):
        cache.put_many("m", ["a", "b"], np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="non-finite"):
        cache.put_many("m", ["a"], np.array([[np.nan, 1.0]], dtype=np.float32))
    assert cache.get_many("m", ["a", "b"]) == {}
