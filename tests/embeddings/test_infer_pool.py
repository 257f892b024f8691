from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from embeddings.encoder import SentenceEncoder
from embeddings.infer_pool import InferPool
from embeddings.tokens import padded_batches
from tests.embeddings.tiny import write_tiny_model

openvino = pytest.importorskip("openvino")

_SENTENCE = "the navy and coast guard patrol the border with radar air force training budget"
_WORDS = _SENTENCE.split()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("tiny"), seed=7)


def _texts(seed: int, count: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(_WORDS, size=rng.integers(1, 30))) for _ in range(count)]


def test_concurrent_callers_each_get_their_own_vectors(tiny: Path) -> None:
    # fp32 so that any difference is a mix-up between callers, not bf16 rounding on AMX CPUs.
    encoder = SentenceEncoder(tiny, backend="openvino", batch_size=3, precision="fp32").load()
    jobs = [_texts(seed, count) for seed, count in enumerate([1, 2, 5, 16, 40, 7, 3, 11])]
    alone = [
        SentenceEncoder(tiny, backend="torch", precision="fp32").encode(texts) for texts in jobs
    ]
    got: dict[int, np.ndarray] = {}

    def call(n: int) -> None:
        for _ in range(3):
            got[n] = encoder.encode(jobs[n])

    threads = [threading.Thread(target=call, args=(n,)) for n in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads)
    for n, expected in enumerate(alone):
        np.testing.assert_allclose(got[n], expected, atol=1e-5)


def test_a_failed_batch_gives_its_requests_back(tiny: Path) -> None:
    core = openvino.Core()
    encoder = SentenceEncoder(tiny, backend="openvino").load()
    pool = InferPool(core.compile_model(encoder._model._model, "CPU"))
    ids = [[2, 10, 11, 3], [2, 12, 3]]
    good = list(padded_batches(ids, 1))
    rows, batch_ids, mask = good[0]
    broken = (rows, batch_ids, mask[:, :2])  # the mask does not fit the ids
    out = np.zeros((2, encoder.dimension), dtype=np.float32)

    with pytest.raises(RuntimeError):
        pool.run([good[1], broken], out)

    def again() -> None:
        for _ in range(3):
            out[:] = 0
            pool.run(good, out)

    # In a thread: a request lost to the failure would leave the next run waiting forever.
    thread = threading.Thread(target=again, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert np.all(np.linalg.norm(out, axis=1) > 0)
