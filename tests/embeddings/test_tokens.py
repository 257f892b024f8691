from __future__ import annotations

import numpy as np
import pytest

from embeddings.tokens import batch_sizes, padded_batches


def test_padded_batches_cover_every_text_longest_first() -> None:
    rng = np.random.default_rng(0)
    token_ids = [list(rng.integers(1, 99, size=n)) for n in rng.integers(1, 40, size=23)]

    batches = list(padded_batches(token_ids, 4))
    rows = np.concatenate([batch[0] for batch in batches])

    assert sorted(rows) == list(range(23))
    assert [len(token_ids[i]) for i in rows] == sorted(map(len, token_ids), reverse=True)
    for batch_rows, ids, mask in batches:
        assert len(batch_rows) <= 4 and ids.dtype == mask.dtype == np.int64
        assert ids.shape == mask.shape == (len(batch_rows), len(token_ids[batch_rows[0]]))
        for row, i in enumerate(batch_rows):
            length = len(token_ids[i])
            assert list(ids[row, :length]) == token_ids[i] and not ids[row, length:].any()
            assert mask[row].sum() == length and mask[row, :length].all()


def _cost(lengths: list[int], sizes: list[int], overhead: float) -> float:
    starts = np.cumsum([0, *sizes[:-1]])
    return sum(size * lengths[start] + overhead for start, size in zip(starts, sizes, strict=True))


def _costliest(lengths: list[int], sizes: list[int], overhead: float) -> float:
    starts = np.cumsum([0, *sizes[:-1]])
    return max(size * lengths[start] + overhead for start, size in zip(starts, sizes, strict=True))


def _compositions(n: int) -> list[list[int]]:
    """Every way to cut n texts into consecutive non-empty batches."""
    if n == 0:
        return [[]]
    return [[first, *rest] for first in range(1, n + 1) for rest in _compositions(n - first)]


@pytest.mark.parametrize("seed", range(12))
def test_batch_sizes_cost_what_the_best_cut_costs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    lengths = sorted(rng.integers(1, 60, size=rng.integers(1, 10)).tolist(), reverse=True)
    max_batch, min_batches = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    overhead = float(rng.choice([0.0, 14.0, 100.0]))

    sizes = batch_sizes(lengths, max_batch, overhead, min_batches)

    allowed = [
        cut
        for cut in _compositions(len(lengths))
        if max(cut) <= max_batch and len(cut) >= min(min_batches, len(lengths))
    ]
    assert sum(sizes) == len(lengths)
    assert sizes in allowed
    least = min(_cost(lengths, c, overhead) for c in allowed)
    assert _cost(lengths, sizes, overhead) == least
    cheapest = [c for c in allowed if _cost(lengths, c, overhead) == least]
    assert _costliest(lengths, sizes, overhead) == min(
        _costliest(lengths, c, overhead) for c in cheapest
    )


def test_padding_is_cut_off_when_it_costs_more_than_a_pass() -> None:
    # One long text among short ones gets a batch of its own; equal texts share one.
    assert batch_sizes([200, 12, 11, 10], 16, 14.0) == [1, 3]
    assert batch_sizes([30, 30, 30, 30], 16, 14.0) == [4]
    assert batch_sizes([30, 30, 30, 30], 16, 14.0, min_batches=2) == [2, 2]
    assert batch_sizes([], 16, 14.0, min_batches=2) == []
