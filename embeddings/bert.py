"""A plain BERT encoder written in torch alone, for processes that must start fast.

A deliberate exception to preferring libraries: importing transformers' model code pulls in
torch._dynamo, torch.distributed.tensor and scipy, over 2 s on 2 cores, which alone would break
the 3 s budget for opening an index and answering one question in a new process. A post-LN BERT
encoder (the bundled all-MiniLM-L6-v2) is a small, frozen architecture, so its forward pass is
written out here over the ``model.safetensors`` weights. ``load_bert`` returns None for anything
else (other model types or activations, relative positions, decoders, unexpected weights), and
the caller then uses transformers.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

logger = logging.getLogger(__name__)

_LAYER_WEIGHTS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "attn_out": "attention.output.dense",
    "attn_norm": "attention.output.LayerNorm",
    "ffn_in": "intermediate.dense",
    "ffn_out": "output.dense",
    "ffn_norm": "output.LayerNorm",
}


@dataclass(frozen=True)
class _Layer:
    qkv: tuple[torch.Tensor, torch.Tensor]
    attn_out: tuple[torch.Tensor, torch.Tensor]
    attn_norm: tuple[torch.Tensor, torch.Tensor]
    ffn_in: tuple[torch.Tensor, torch.Tensor]
    ffn_out: tuple[torch.Tensor, torch.Tensor]
    ffn_norm: tuple[torch.Tensor, torch.Tensor]


class TorchBert:
    """BertModel's ``last_hidden_state`` for single-segment inputs, inference only."""

    def __init__(
        self,
        weights: dict[str, torch.Tensor],
        *,
        layers: int,
        heads: int,
        eps: float,
        dtype: torch.dtype,
    ) -> None:
        def pair(name: str) -> tuple[torch.Tensor, torch.Tensor]:
            return weights[f"{name}.weight"], weights[f"{name}.bias"]

        self._words = weights["embeddings.word_embeddings.weight"]
        self._positions = weights["embeddings.position_embeddings.weight"]
        # Single-segment inputs: every token has type 0, so its embedding is a constant.
        self._segment = weights["embeddings.token_type_embeddings.weight"][0]
        self._embed_norm = pair("embeddings.LayerNorm")
        self.hidden_size = int(self._words.shape[1])
        self.max_positions = int(self._positions.shape[0])
        if self.hidden_size % heads:
            raise ValueError(f"hidden size {self.hidden_size} is not a multiple of {heads} heads")
        self.heads = heads
        self.dtype = dtype
        self.eps = eps
        self._layers = []
        for i in range(layers):
            parts = {key: pair(f"encoder.layer.{i}.{name}") for key, name in _LAYER_WEIGHTS.items()}
            # One matmul for query, key and value instead of three.
            q, k, v = (parts.pop(key) for key in "qkv")
            qkv = (torch.cat([q[0], k[0], v[0]]), torch.cat([q[1], k[1], v[1]]))
            self._layers.append(_Layer(qkv=qkv, **parts))

    def _norm(self, x: torch.Tensor, weights: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return F.layer_norm(x, (self.hidden_size,), *weights, eps=self.eps)

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(b, t) int64 token ids, (b, t) bool mask (padding on the right) -> (b, t, d) states."""
        batch, length = input_ids.shape
        x = F.embedding(input_ids, self._words).to(self.dtype)
        x = self._norm(x + self._positions[:length] + self._segment, self._embed_norm)
        mask = attention_mask[:, None, None, :]
        for layer in self._layers:
            q, k, v = (
                F.linear(x, *layer.qkv)
                .view(batch, length, 3, self.heads, -1)
                .permute(2, 0, 3, 1, 4)
                .unbind(0)
            )
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            attended = attended.transpose(1, 2).reshape(batch, length, self.hidden_size)
            x = self._norm(F.linear(attended, *layer.attn_out) + x, layer.attn_norm)
            hidden = F.gelu(F.linear(x, *layer.ffn_in))
            x = self._norm(F.linear(hidden, *layer.ffn_out) + x, layer.ffn_norm)
        return x


def load_bert(folder: Path, dtype: torch.dtype) -> TorchBert | None:
    """The BERT in ``folder`` with weights in ``dtype``, or None when it is not a plain BERT."""
    from safetensors.torch import load_file

    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    plain = (
        isinstance(config, dict)
        and config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and not config.get("is_decoder")
        and (folder / "model.safetensors").is_file()
    )
    if not plain:
        return None
    # Memory-mapped: only the rows of the word table that texts use are ever read.
    stored = load_file(folder / "model.safetensors")
    # BertForX checkpoints prefix the encoder's weights with "bert."; bare BertModel does not.
    # The word table stays as stored, its looked-up rows are converted: converting all 30k rows
    # would cost more than a one-question process spends embedding.
    weights = {
        name.removeprefix("bert."): tensor if "word_embeddings" in name else tensor.to(dtype)
        for name, tensor in stored.items()
        if tensor.is_floating_point()
    }
    try:
        return TorchBert(
            weights,
            layers=int(config["num_hidden_layers"]),
            heads=int(config["num_attention_heads"]),
            eps=float(config.get("layer_norm_eps", 1e-12)),
            dtype=dtype,
        )
    except (KeyError, RuntimeError, TypeError, ValueError) as exc:
        logger.info("%s is not a plain BERT checkpoint (%r); using transformers", folder, exc)
        return None
