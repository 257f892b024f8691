from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from embeddings.model_folder import PlainPipeline, model_fingerprint, read_plain_pipeline


def _write_pipeline(folder: Path, pooling: dict[str, object], settings: dict[str, object]) -> Path:
    """Only the sentence-transformers description files, in the v2-v5 layout."""
    (folder / "1_Pooling").mkdir(parents=True)
    kinds = ("Transformer", "Pooling", "Normalize")
    modules = [
        {
            "idx": i,
            "name": str(i),
            "path": ["", "1_Pooling", "2_Normalize"][i],
            "type": f"sentence_transformers.models.{kind}",
        }
        for i, kind in enumerate(kinds)
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    (folder / "sentence_bert_config.json").write_text(json.dumps(settings))
    return folder


_CLS = {
    "word_embedding_dimension": 8,
    "pooling_mode_cls_token": True,
    "pooling_mode_mean_tokens": False,
    "pooling_mode_max_tokens": False,
}


def test_older_sentence_transformers_layouts_are_read(tmp_path: Path) -> None:
    folder = _write_pipeline(
        tmp_path / "cls", _CLS, {"max_seq_length": 128, "do_lower_case": False}
    )
    assert read_plain_pipeline(folder) == PlainPipeline(pooling="cls", max_seq_length=128)


@pytest.mark.parametrize(
    ("pooling", "settings"),
    [
        ({**_CLS, "pooling_mode_mean_tokens": True}, {}),
        (_CLS, {"do_lower_case": True}),
        (_CLS, {"model_args": {"trust_remote_code": True}}),
    ],
)
def test_pipelines_the_fast_path_cannot_reproduce_are_left_to_sentence_transformers(
    tmp_path: Path, pooling: dict[str, object], settings: dict[str, object]
) -> None:
    assert read_plain_pipeline(_write_pipeline(tmp_path, pooling, settings)) is None


def _model(folder: Path, weights: bytes) -> Path:
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert"}')
    (folder / "model.safetensors").write_bytes(weights)
    return folder


def test_a_remembered_fingerprint_is_reused_only_while_the_files_are_unchanged(
    tmp_path: Path,
) -> None:
    memo = tmp_path / "cache" / "fingerprints.json"
    folder = _model(tmp_path / "model", b"a" * 64)
    first = model_fingerprint(folder)

    assert model_fingerprint(folder, memo) == first
    assert memo.exists()
    assert model_fingerprint(folder, memo) == first

    # Fine-tuned in place: same size, and the old modification time put back.
    weights = folder / "model.safetensors"
    before = weights.stat()
    weights.write_bytes(b"b" * 64)
    os.utime(weights, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert model_fingerprint(folder, memo) == model_fingerprint(folder) != first


@pytest.mark.parametrize("memo_text", ["{broken", '{"x": 1}', "[]"])
def test_a_damaged_or_unwritable_memo_only_costs_the_hash(tmp_path: Path, memo_text: str) -> None:
    folder = _model(tmp_path / "model", b"a" * 64)
    memo = tmp_path / "fingerprints.json"
    memo.write_text(memo_text)
    assert model_fingerprint(folder, memo) == model_fingerprint(folder)
    assert model_fingerprint(folder, memo / "not-a-folder") == model_fingerprint(folder)
