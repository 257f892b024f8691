from __future__ import annotations

import numpy as np

from embeddings.tokens import padded_batches


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
