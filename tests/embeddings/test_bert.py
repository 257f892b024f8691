from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from embeddings.bert import load_bert

_CONFIG: dict[str, object] = {
    "vocab_size": 40,
    "hidden_size": 24,
    "num_hidden_layers": 2,
    "num_attention_heads": 3,
    "intermediate_size": 48,
    "max_position_embeddings": 32,
    "layer_norm_eps": 1e-7,
}


def _save(folder: Path, head: str = "", **config: object) -> Path:
    """A random BERT (``head`` names a BertFor* class, saved with the ``bert.`` prefix)."""
    import transformers

    torch.manual_seed(0)
    settings = transformers.BertConfig(**{**_CONFIG, **config})
    getattr(transformers, f"Bert{head or 'Model'}")(settings).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("head", ["", "ForMaskedLM"])
def test_hidden_states_match_transformers_on_padded_batches(tmp_path: Path, head: str) -> None:
    from transformers import BertModel

    folder = _save(tmp_path, head)
    reference = BertModel.from_pretrained(str(folder)).eval()
    ids = torch.tensor([[2, 17, 5, 33, 9, 3], [2, 8, 3, 0, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])
    model = load_bert(folder, torch.float32)

    assert model is not None
    with torch.inference_mode():
        ours = model(ids, mask.bool())
        theirs = reference(input_ids=ids, attention_mask=mask).last_hidden_state
    real = mask.bool()
    torch.testing.assert_close(ours[real], theirs[real], atol=1e-5, rtol=1e-5)


def test_bf16_weights_run_in_bf16(tmp_path: Path) -> None:
    model = load_bert(_save(tmp_path), torch.bfloat16)
    assert model is not None
    with torch.inference_mode():
        out = model(torch.tensor([[2, 7, 3]]), torch.ones(1, 3, dtype=torch.bool))
    assert out.dtype == torch.bfloat16 and out.shape == (1, 3, 24)


@pytest.mark.parametrize(
    "config",
    [
        {"hidden_act": "relu"},
        {"hidden_act": "gelu_new"},
        {"position_embedding_type": "relative_key"},
        {"is_decoder": True},
    ],
)
def test_other_architectures_are_refused(tmp_path: Path, config: dict[str, object]) -> None:
    assert load_bert(_save(tmp_path, **config), torch.float32) is None


def test_other_model_types_and_incomplete_weights_are_refused(tmp_path: Path) -> None:
    folder = _save(tmp_path)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "num_hidden_layers": 3}))
    assert load_bert(folder, torch.float32) is None

    (folder / "config.json").write_text(json.dumps({**config, "model_type": "roberta"}))
    assert load_bert(folder, torch.float32) is None

    (folder / "config.json").write_text(json.dumps(config))
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    assert load_bert(folder, torch.float32) is None
