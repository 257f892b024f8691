from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embeddings.encoder import SentenceEncoder, cpu_supports_bf16, default_cache_dir
from embeddings.model_folder import ModelNotFoundError, default_model_path
from embeddings.torch_backends import TorchBertBackend
from embeddings.vectors import l2_normalize
from qa.encoder import Encoder as EncoderProtocol
from tests.embeddings.tiny import write_tiny_model


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("tiny")
    return write_tiny_model(root / "a", seed=1), write_tiny_model(root / "b", seed=2)


def test_tiny_model_encodes_unit_vectors_in_input_order(tiny_models: tuple[Path, Path]) -> None:
    encoder = SentenceEncoder(tiny_models[0], precision="fp32", batch_size=2, backend="torch")
    texts = ["tank", "the navy and the coast guard patrol the border", "radar drill", "", "air"]

    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([text]) for text in texts])

    assert isinstance(encoder, EncoderProtocol)
    assert encoder.dimension == 16
    assert together.shape == (5, 16) and together.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert encoder.encode([]).shape == (0, 16)


_TEXTS = ["tank", "the navy and the coast guard patrol the border", "radar drill", "", "air"]


@pytest.mark.parametrize(
    ("pooling", "dense", "config", "backend"),
    [
        ("mean", False, {}, "torch-bert"),
        ("cls", False, {}, "torch-bert"),
        ("mean", False, {"model_type": "roberta"}, "transformers"),
        ("mean", False, {"hidden_act": "relu"}, "transformers"),
        ("mean", False, {"position_embedding_type": "relative_key"}, "transformers"),
        ("max", False, {}, "sentence-transformers"),
        ("mean", True, {}, "sentence-transformers"),
    ],
)
def test_every_backend_gives_the_sentence_transformers_vectors(
    tmp_path: Path, pooling: str, dense: bool, config: dict[str, object], backend: str
) -> None:
    from sentence_transformers import SentenceTransformer

    folder = write_tiny_model(tmp_path, seed=3, pooling=pooling, dense=dense, **config)
    encoder = SentenceEncoder(folder, precision="fp32", batch_size=2, backend="torch")
    fingerprint = encoder.fingerprint
    reference = SentenceTransformer(str(folder), device="cpu").encode(
        _TEXTS, normalize_embeddings=True
    )

    assert encoder.backend == backend
    assert encoder.dimension == reference.shape[1]
    np.testing.assert_allclose(encoder.encode(_TEXTS), reference, atol=1e-5)
    assert encoder.fingerprint == fingerprint


def test_torch_bert_and_transformers_give_one_fingerprint_and_the_same_vectors(
    tiny_models: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    torch_bert = SentenceEncoder(tiny_models[0], precision="fp32", backend="torch")
    vectors = torch_bert.encode(_TEXTS)
    monkeypatch.setattr(TorchBertBackend, "open", classmethod(lambda cls, *args: None))
    transformers = SentenceEncoder(tiny_models[0], precision="fp32", backend="torch")

    assert (torch_bert.backend, transformers.backend) == ("torch-bert", "transformers")
    assert torch_bert.fingerprint == transformers.fingerprint
    np.testing.assert_allclose(transformers.encode(_TEXTS), vectors, atol=1e-5)


def test_tokenizer_settings_that_override_tokenizer_json_leave_bert_to_transformers(
    tmp_path: Path,
) -> None:
    from sentence_transformers import SentenceTransformer

    folder = write_tiny_model(tmp_path, seed=4)
    config_path = folder / "tokenizer_config.json"
    # transformers rebuilds the normaliser from this flag, so "The Navy" stays unknown words.
    config_path.write_text(
        json.dumps({**json.loads(config_path.read_text()), "do_lower_case": False})
    )
    texts = ["The Navy and the Coast Guard", "the navy and the coast guard"]
    reference = SentenceTransformer(str(folder), device="cpu").encode(
        texts, normalize_embeddings=True
    )
    encoder = SentenceEncoder(folder, precision="fp32", backend="torch")

    assert encoder.backend == "transformers"
    assert float(reference[0] @ reference[1]) < 0.999
    np.testing.assert_allclose(encoder.encode(texts), reference, atol=1e-5)


def test_plain_bert_loads_without_importing_transformers(tiny_models: tuple[Path, Path]) -> None:
    script = (
        "import sys\n"
        "from embeddings.encoder import SentenceEncoder\n"
        f"encoder = SentenceEncoder({str(tiny_models[0])!r}, backend='torch')\n"
        "encoder.encode(['radar drill'])\n"
        "print(encoder.backend, *sorted({'transformers', 'sentence_transformers', 'scipy'}"
        " & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.stdout.split() == ["torch-bert"]


def test_fingerprint_follows_weights_not_instances(tiny_models: tuple[Path, Path]) -> None:
    first, other = tiny_models
    same = {SentenceEncoder(first, precision=p).fingerprint for p in ("fp32", "bf16")}

    assert len(same) == 1
    assert SentenceEncoder(other).fingerprint not in same


def test_construction_does_not_load_the_model(tiny_models: tuple[Path, Path]) -> None:
    encoder = SentenceEncoder(tiny_models[0])
    assert encoder._model is None
    assert encoder.fingerprint
    assert encoder._model is None


def test_auto_precision_follows_the_cpu(tiny_models: tuple[Path, Path]) -> None:
    expected = "bf16" if cpu_supports_bf16() else "fp32"
    assert SentenceEncoder(tiny_models[0]).precision == expected
    assert SentenceEncoder(tiny_models[0], precision="fp32").precision == "fp32"


def test_names_that_are_not_folders_are_refused_without_download(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="never downloads"):
        SentenceEncoder("sentence-transformers/all-mpnet-base-v2")
    with pytest.raises(ModelNotFoundError, match=r"config\.json"):
        SentenceEncoder(tmp_path)
    with pytest.raises(ValueError, match="precision"):
        SentenceEncoder(tmp_path, precision="fp8")
    with pytest.raises(ValueError, match="backend"):
        SentenceEncoder(tmp_path, backend="onnx")
    with pytest.raises(ValueError, match="threads"):
        SentenceEncoder(tmp_path, threads=0)


def test_l2_normalize_keeps_zero_rows() -> None:
    out = l2_normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])


@pytest.fixture(scope="module")
def real_fp32() -> SentenceEncoder:
    return SentenceEncoder(precision="fp32", backend="torch").load()


@pytest.mark.model
def test_real_model_shape_dtype_and_norm(real_fp32: SentenceEncoder) -> None:
    vectors = real_fp32.encode(["The navy operates destroyers.", "Budget", "x " * 400])
    assert default_model_path().is_dir()
    assert vectors.shape == (3, real_fp32.dimension) == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.model
def test_real_model_puts_related_words_together(real_fp32: SentenceEncoder) -> None:
    tank, armored, banana = real_fp32.encode(["tank", "armored vehicle", "banana"])
    assert float(tank @ armored) > float(tank @ banana) + 0.1


_REAL_TEXTS = [
    "Joint exercises with allied navies were expanded to deter provocations at sea.",
    "In 2020 the budget rose 7.4% to KRW 50.15 trillion for F-35A and KSS-III programmes.",
    "short",
    "",
    "Ünïcode café naïve résumé — and 中文 characters, tabs\tand\nnewlines.",
    "The reserve forces were modernised with new training ranges and equipment.",
    "Cyber defence units monitor attacks on military networks around the clock.",
    "What is the defense budget?",
    "Peacekeeping contingents served in Lebanon and South Sudan under UN mandates. " * 30,
    "word " * 400,
]


@pytest.mark.model
def test_real_model_torch_bert_matches_sentence_transformers(real_fp32: SentenceEncoder) -> None:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(real_fp32.folder), device="cpu").encode(
        _REAL_TEXTS, normalize_embeddings=True
    )
    # Batches of 3 mix long and short texts, so most rows carry padding.
    small_batches = SentenceEncoder(precision="fp32", batch_size=3, backend="torch")

    assert real_fp32.backend == small_batches.backend == "torch-bert"
    assert np.sum(real_fp32.encode(_REAL_TEXTS) * reference, axis=1).min() > 0.99999
    assert np.sum(small_batches.encode(_REAL_TEXTS) * reference, axis=1).min() > 0.99999


@pytest.mark.model
def test_real_model_reads_the_first_256_tokens_only(real_fp32: SentenceEncoder) -> None:
    long_text = _REAL_TEXTS[-2]
    longer, shorter = real_fp32.encode([long_text + " Naval aviation was reorganised.", long_text])
    cut_short = real_fp32.encode([" ".join(long_text.split()[:100])])[0]

    assert float(longer @ shorter) > 0.99999
    assert float(cut_short @ shorter) < 0.9999


@pytest.mark.model
def test_bf16_agrees_with_fp32(real_fp32: SentenceEncoder) -> None:
    if not cpu_supports_bf16():
        pytest.skip("this CPU has no native bf16")
    bf16 = SentenceEncoder(precision="bf16", batch_size=3, backend="torch")
    cosines = np.sum(bf16.encode(_REAL_TEXTS) * real_fp32.encode(_REAL_TEXTS), axis=1)
    assert bf16.backend == "torch-bert"
    assert cosines.min() > 0.999


def test_converted_models_go_to_the_one_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITEQA_CACHE_DIR", str(tmp_path / "citeqa-cache"))
    assert default_cache_dir() == tmp_path / "citeqa-cache" / "models"
    monkeypatch.delenv("CITEQA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "citeqa" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "citeqa" / "models"
