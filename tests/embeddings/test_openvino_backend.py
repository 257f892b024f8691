from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import embeddings.openvino_backend as ov_backend
from embeddings.encoder import BackendUnavailableError, SentenceEncoder
from embeddings.model_cache import MANIFEST
from tests.embeddings.tiny import write_tiny_model

pytest.importorskip("openvino")

# Mixed lengths with batch_size=2: most batches carry padding.
_TEXTS = [
    "tank",
    "the navy and the coast guard patrol the border with radar",
    "radar drill",
    "",
    "air force training budget",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("tiny"), seed=5)


@pytest.fixture(scope="module")
def torch_vectors(tiny: Path) -> np.ndarray:
    return SentenceEncoder(tiny, precision="fp32", batch_size=2, backend="torch").encode(_TEXTS)


@pytest.fixture(scope="module")
def converted(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder holding the conversion of ``tiny``; tests work on copies of it."""
    cache = tmp_path_factory.mktemp("converted")
    SentenceEncoder(tiny, backend="openvino", cache_dir=cache).load()
    return cache


def _pristine_graph(converted: Path) -> object:
    import openvino

    return openvino.Core().read_model(_entry(converted) / "model.xml")


@pytest.fixture
def conversions(converted: Path, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records every conversion from torch, and answers it with the known-good graph of
    ``tiny``: the export itself takes seconds and is tested on its own."""
    calls: list[object] = []

    def recorded(source, ids, mask):  # type: ignore[no-untyped-def]
        calls.append(source)
        return _pristine_graph(converted)

    monkeypatch.setattr(ov_backend, "_convert", recorded)
    return calls


def _copy(cache: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(cache, tmp_path / "cache"))


def _entry(cache: Path) -> Path:
    (entry,) = (path for path in cache.iterdir() if path.is_dir() and path.name[0] != ".")
    return entry


@pytest.mark.parametrize(
    ("pooling", "config"),
    [("mean", {}), ("cls", {}), ("mean", {"model_type": "roberta"})],
)
def test_openvino_gives_the_torch_vectors(
    tmp_path: Path, tiny: Path, converted: Path, pooling: str, config: dict[str, object]
) -> None:
    # Mean-pooled BERT is ``tiny``, already converted; RoBERTa converts through transformers.
    if pooling == "mean" and not config:
        folder, cache = tiny, _copy(converted, tmp_path)
    else:
        folder, cache = write_tiny_model(tmp_path, seed=6, pooling=pooling, **config), tmp_path
    openvino = SentenceEncoder(
        folder, precision="fp32", batch_size=2, backend="openvino", cache_dir=cache
    )
    torch = SentenceEncoder(folder, precision="fp32", batch_size=2, backend="torch")

    assert openvino.backend == "openvino"
    assert openvino.fingerprint == torch.fingerprint
    assert openvino.dimension == torch.dimension
    one_batch = SentenceEncoder(folder, precision="fp32", backend="openvino", cache_dir=cache)
    expected = torch.encode(_TEXTS)
    # Several batches run on the async queue, one batch (or text) on the latency request.
    np.testing.assert_allclose(openvino.encode(_TEXTS), expected, atol=1e-5)
    np.testing.assert_allclose(one_batch.encode(_TEXTS), expected, atol=1e-5)
    np.testing.assert_allclose(openvino.encode(_TEXTS[1:2]), expected[1:2], atol=1e-5)


def test_auto_prefers_openvino_and_keys_the_cache_by_fingerprint(
    tiny: Path, converted: Path, tmp_path: Path
) -> None:
    import openvino

    encoder = SentenceEncoder(tiny, cache_dir=_copy(converted, tmp_path))
    entry = _entry(converted)

    assert encoder.backend == "openvino"
    assert entry.name.startswith(encoder.fingerprint)
    assert openvino.__version__.split("-")[0] in entry.name


def test_second_load_reuses_the_cached_model(
    tiny: Path,
    converted: Path,
    conversions: list[object],
    torch_vectors: np.ndarray,
    tmp_path: Path,
) -> None:
    encoder = SentenceEncoder(
        tiny,
        precision="fp32",
        batch_size=2,
        backend="openvino",
        cache_dir=_copy(converted, tmp_path),
    )

    np.testing.assert_allclose(encoder.encode(_TEXTS), torch_vectors, atol=1e-5)
    assert encoder.backend == "openvino"
    assert conversions == []


def test_the_compiled_model_is_cached_beside_the_converted_one(
    tiny: Path, converted: Path, torch_vectors: np.ndarray, tmp_path: Path
) -> None:
    cache = _copy(converted, tmp_path)
    SentenceEncoder(tiny, precision="fp32", backend="openvino", cache_dir=cache).encode(_TEXTS)
    blobs = list((_entry(cache) / ov_backend.COMPILED).iterdir())

    again = SentenceEncoder(
        tiny, precision="fp32", batch_size=2, backend="openvino", cache_dir=cache
    )
    np.testing.assert_allclose(again.encode(_TEXTS), torch_vectors, atol=1e-5)
    assert blobs and list((_entry(cache) / ov_backend.COMPILED).iterdir()) == blobs


def _garble_blobs(folder: Path) -> None:
    for blob in folder.iterdir():
        blob.chmod(0o600)
        blob.write_bytes(b"\0" * blob.stat().st_size)


@pytest.mark.parametrize("damage", ["garbled", "not a folder"])
def test_a_damaged_or_unwritable_compiled_cache_still_gives_the_same_vectors(
    tiny: Path, converted: Path, torch_vectors: np.ndarray, tmp_path: Path, damage: str
) -> None:
    cache = _copy(converted, tmp_path)
    compiled = _entry(cache) / ov_backend.COMPILED
    if damage == "garbled":
        SentenceEncoder(tiny, precision="fp32", backend="openvino", cache_dir=cache).load()
        _garble_blobs(compiled)
    else:
        compiled.write_text("")

    encoder = SentenceEncoder(
        tiny, precision="fp32", batch_size=2, backend="openvino", cache_dir=cache
    )
    np.testing.assert_allclose(encoder.encode(_TEXTS), torch_vectors, atol=1e-5)


def _truncate_weights(entry: Path) -> None:
    with (entry / "model.bin").open("r+b") as handle:
        handle.truncate(100)


def _garble_graph(entry: Path) -> None:
    xml = entry / "model.xml"
    xml.write_bytes(b"\0" * xml.stat().st_size)


def _scramble_weights(entry: Path) -> None:
    # Same size, other numbers: only running the model can tell.
    weights = entry / "model.bin"
    weights.write_bytes(np.random.default_rng(0).bytes(weights.stat().st_size))


def _interrupt_publish(entry: Path) -> None:
    # What a process killed before its final rename leaves: a staging folder, no entry.
    (entry / MANIFEST).unlink()
    entry.rename(entry.parent / f".{entry.name}.staging.killed")


@pytest.mark.parametrize(
    "damage", [_truncate_weights, _garble_graph, _scramble_weights, _interrupt_publish]
)
def test_damaged_or_partial_cache_is_ignored_and_rebuilt(
    tiny: Path,
    converted: Path,
    conversions: list[object],
    torch_vectors: np.ndarray,
    tmp_path: Path,
    damage: object,
) -> None:
    cache = _copy(converted, tmp_path)
    damage(_entry(cache))  # type: ignore[operator]

    rebuilt = SentenceEncoder(
        tiny, precision="fp32", batch_size=2, backend="openvino", cache_dir=cache
    )
    np.testing.assert_allclose(rebuilt.encode(_TEXTS), torch_vectors, atol=1e-5)
    assert len(conversions) == 1

    SentenceEncoder(tiny, backend="openvino", cache_dir=cache).load()
    assert len(conversions) == 1


def test_without_openvino_auto_falls_back_to_torch(
    tiny: Path,
    torch_vectors: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)
    encoder = SentenceEncoder(tiny, precision="fp32", batch_size=2, cache_dir=tmp_path)

    with caplog.at_level(logging.INFO, logger="embeddings.encoder"):
        encoder.load()
    assert encoder.backend == "torch-bert"
    (fallback,) = [r.message for r in caplog.records if "OpenVINO" in r.message]
    assert fallback.startswith(f"not using OpenVINO for {tiny} (")
    assert "openvino" in fallback and fallback.endswith("; embedding with torch")
    np.testing.assert_allclose(encoder.encode(_TEXTS), torch_vectors, atol=1e-5)
    with pytest.raises(BackendUnavailableError, match="openvino"):
        SentenceEncoder(tiny, backend="openvino", cache_dir=tmp_path).load()


def _negated_graph(converted: Path) -> object:
    """A graph that converted into something else: ``tiny``'s vectors, negated."""
    import openvino
    from openvino import opset13

    graph = _pristine_graph(converted)
    vectors = graph.get_results()[0].input_value(0)
    return openvino.Model([opset13.negative(vectors)], graph.get_parameters())


def _unsupported(converted: Path) -> object:
    raise RuntimeError("unsupported operation aten::made_up")


@pytest.mark.parametrize("conversion", [_negated_graph, _unsupported])
def test_models_that_do_not_convert_faithfully_run_on_torch(
    tiny: Path,
    converted: Path,
    torch_vectors: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    conversion: Callable[[Path], object],
) -> None:
    monkeypatch.setattr(ov_backend, "_convert", lambda *args: conversion(converted))
    encoder = SentenceEncoder(tiny, precision="fp32", batch_size=2, cache_dir=tmp_path)

    assert encoder.backend == "torch-bert"
    np.testing.assert_allclose(encoder.encode(_TEXTS), torch_vectors, atol=1e-5)
    assert not any(path.name.startswith(encoder.fingerprint) for path in tmp_path.iterdir())
    with pytest.raises(BackendUnavailableError, match="OpenVINO cannot run"):
        SentenceEncoder(tiny, backend="openvino", cache_dir=tmp_path).load()


def test_pipelines_beyond_transformer_and_pooling_stay_on_sentence_transformers(
    tmp_path: Path,
) -> None:
    folder = write_tiny_model(tmp_path, seed=7, dense=True)

    assert SentenceEncoder(folder, cache_dir=tmp_path / "c").backend == "sentence-transformers"
    with pytest.raises(BackendUnavailableError, match="Pooling"):
        SentenceEncoder(folder, backend="openvino", cache_dir=tmp_path / "c").load()


def test_an_unwritable_cache_still_embeds_with_openvino(
    tiny: Path, conversions: list[object], torch_vectors: np.ndarray, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    encoder = SentenceEncoder(tiny, precision="fp32", batch_size=2, cache_dir=not_a_folder)

    assert encoder.backend == "openvino"
    np.testing.assert_allclose(encoder.encode(_TEXTS), torch_vectors, atol=1e-5)
    assert len(conversions) == 1


def test_a_cached_load_imports_neither_torch_nor_transformers(
    tiny: Path, converted: Path, tmp_path: Path
) -> None:
    script = (
        "import sys\n"
        "from embeddings.encoder import SentenceEncoder\n"
        f"encoder = SentenceEncoder({str(tiny)!r}, cache_dir={str(_copy(converted, tmp_path))!r})\n"
        "encoder.encode(['radar drill'])\n"
        "print(encoder.backend, *sorted({'torch', 'transformers'} & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.stdout.split() == ["openvino"]


_REAL_TEXTS = [
    "Joint exercises with allied navies were expanded to deter provocations at sea.",
    "In 2020 the budget rose 7.4% to KRW 50.15 trillion for F-35A and KSS-III programmes.",
    "short",
    "",
    "Ünïcode café naïve résumé — and 中文 characters, tabs\tand\nnewlines.",
    "What is the defense budget?",
    "Peacekeeping contingents served in Lebanon and South Sudan under UN mandates. " * 30,
]


@pytest.mark.model
def test_real_model_on_openvino_agrees_with_fp32_torch() -> None:
    openvino = SentenceEncoder(backend="openvino", batch_size=3)
    torch = SentenceEncoder(precision="fp32", backend="torch", batch_size=3)

    reference = torch.encode(_REAL_TEXTS)
    cosines = np.sum(openvino.encode(_REAL_TEXTS) * reference, axis=1)
    single = openvino.encode(_REAL_TEXTS[:1])[0] @ reference[0]
    assert openvino.backend == "openvino"
    assert cosines.min() >= 0.999 and single >= 0.999
