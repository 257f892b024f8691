from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from embeddings.encoder import Encoder  # noqa: E402
from embeddings.ray_encoder import RayEncoder  # noqa: E402
from qa import Engine  # noqa: E402
from qa.encoder import StreamingEncoder  # noqa: E402
from qa.indexing.update import embed_key  # noqa: E402
from qa.retrieval.fields import dense_text  # noqa: E402
from tests.conftest import FIXTURES  # noqa: E402
from tests.embeddings.tiny import write_tiny_model  # noqa: E402
from tests.fakes import FakeEncoder  # noqa: E402

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("tiny") / "a", seed=1)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


def _vectors(engine: Engine) -> dict[str, np.ndarray]:
    """Chunk id -> its stored vector."""
    keys = {chunk.id: embed_key(dense_text(chunk)) for chunk in engine.store.chunks()}
    found = engine.store.stored_vectors(keys.values())
    return {chunk_id: found[key] for chunk_id, key in keys.items()}


def test_an_index_embedded_on_ray_is_the_local_index(
    tmp_path: Path, tiny: Path, local_ray: None
) -> None:
    # torch: converting even a tiny model to OpenVINO takes seconds, in each actor.
    local = Engine.open(tmp_path / "local", encoder=Encoder(tiny, backend="torch"))
    local.add([FIXTURES / "documents"])
    # Two texts per batch: the fixtures' chunks make two blocks, one for each of two actors.
    encoder = RayEncoder(tiny, batch_size=2, backend="torch")
    assert isinstance(encoder, StreamingEncoder)
    distributed = Engine.open(tmp_path / "ray", encoder=encoder)

    summary = distributed.add([FIXTURES / "documents"])

    assert summary.chunks_embedded == len(local.store.chunks()) > 4
    expected, got = _vectors(local), _vectors(distributed)
    assert got.keys() == expected.keys()
    for chunk_id, vector in expected.items():
        # Same CPU here; a bf16 node would agree to about this cosine.
        assert float(vector @ got[chunk_id]) > 0.999
    question = "coastal patrol ships"
    assert [h.chunk.id for h in distributed.search(question)] == [
        h.chunk.id for h in local.search(question)
    ]


def test_a_worker_with_another_model_stops_the_job(
    tmp_path: Path, tiny: Path, local_ray: None
) -> None:
    encoder = RayEncoder(tiny, backend="torch", make_encoder=FakeEncoder)
    engine = Engine.open(tmp_path / "ray", encoder=encoder)

    with pytest.raises(Exception, match="install the same model on every node"):
        engine.add([FIXTURES / "documents"])
    assert engine.documents() == []
