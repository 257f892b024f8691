"""The torch backends: a plain BERT on ``embeddings.bert``, other plain pipelines through
``transformers``, anything else through ``SentenceTransformer`` itself.

A backend embeds texts into (n, dimension) float32 sentence vectors, not yet normalised, in
input order; ``embeddings.encoder.SentenceEncoder`` picks one and normalises.
"""

from __future__ import annotations

import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from embeddings.model_folder import ModelNotFoundError, PlainPipeline, read_json
from embeddings.tokens import (
    fast_tokenizer,
    padded_batches,
    tokenizer_json_is_what_transformers_runs,
)

if TYPE_CHECKING:
    import torch

    from embeddings.bert import TorchBert

logger = logging.getLogger(__name__)


class Backend(Protocol):
    name: str
    # Whether ``embed`` may run in several threads at once.
    thread_safe: bool
    dimension: int
    max_seq_length: int
    # Texts per forward pass unless the caller sets one.
    batch_size: int

    def embed(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """(len(texts), dimension) float32 sentence vectors, not yet normalised, input order."""
        ...


def _max_seq_length(pipeline: PlainPipeline, tokenizer_limit: int, positions: int) -> int:
    """sentence-transformers' rule: the folder's setting, else the tokenizer's capped limit."""
    if pipeline.max_seq_length is not None:
        return int(pipeline.max_seq_length)
    return min(tokenizer_limit, positions)


class PooledBackend(ABC):
    """Tokenise, run the model in length-sorted batches, pool as sentence-transformers does."""

    name: str
    dimension: int
    max_seq_length: int
    batch_size = 32
    thread_safe = False

    def __init__(self, pooling: str) -> None:
        import torch

        self._torch = torch
        self._pooling = pooling

    @abstractmethod
    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids with special tokens, truncated to ``max_seq_length``."""

    @abstractmethod
    def _hidden(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(b, t) ids, (b, t) int64 0/1 mask -> (b, t, d) last hidden states."""

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(b, t) int64 ids, (b, t) int64 0/1 mask -> (b, d) float32 sentence vectors."""
        hidden = self._hidden(input_ids, attention_mask).float()
        if self._pooling == "cls":
            return hidden[:, 0]
        weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)

    def embed(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        torch = self._torch
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        with torch.inference_mode():
            for rows, ids, mask in padded_batches(self._token_ids(list(texts)), batch_size):
                vectors[rows] = self.forward(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
        return vectors


class TorchBertBackend(PooledBackend):
    """``tokenizers`` + the torch-only BERT of ``embeddings.bert``: no transformers import."""

    name = "torch-bert"

    def __init__(self, pipeline: PlainPipeline, model: TorchBert, tokenizer: Any, limit: int):
        super().__init__(pipeline.pooling)
        self._model = model
        self.dimension = model.hidden_size
        self.max_seq_length = limit
        self._tokenizer = tokenizer

    @classmethod
    def open(cls, folder: Path, pipeline: PlainPipeline, precision: str) -> TorchBertBackend | None:
        """The backend for a plain BERT folder with a ``tokenizer.json``, else None."""
        import torch

        from embeddings.bert import load_bert

        tokenizer_config = read_json(folder / "tokenizer_config.json") or {}
        if not tokenizer_json_is_what_transformers_runs(folder):
            logger.info("%s: tokenizer.json differs from transformers' tokenizer", folder)
            return None
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        model = load_bert(folder, dtype)
        if model is None:
            return None
        limit = _max_seq_length(
            pipeline,
            int(tokenizer_config.get("model_max_length", 1 << 30)),
            model.max_positions,
        )
        return cls(pipeline, model, fast_tokenizer(folder, limit), limit)

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        return [encoding.ids for encoding in self._tokenizer.encode_batch(texts)]

    def _hidden(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self._model(input_ids, attention_mask.bool())


class TransformersBackend(PooledBackend):
    """Hugging Face tokenizer + model with the pooling done here (no sentence-transformers)."""

    name = "transformers"

    def __init__(self, folder: Path, pipeline: PlainPipeline, precision: str) -> None:
        super().__init__(pipeline.pooling)
        import torch
        from transformers import AutoModel, AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        # Weights converted once: per-op autocast casts cost about a third of the CPU time.
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        self._model = AutoModel.from_pretrained(str(folder), local_files_only=True, dtype=dtype)
        self._model.eval()
        self.dimension = int(self._model.config.hidden_size)
        self.max_seq_length = _max_seq_length(
            pipeline,
            int(self._tokenizer.model_max_length),
            int(getattr(self._model.config, "max_position_embeddings", 1 << 30)),
        )

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        encoded = self._tokenizer(texts, truncation=True, max_length=self.max_seq_length)
        return list(encoded["input_ids"])

    def _hidden(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self._model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def open_plain_torch(folder: Path, pipeline: PlainPipeline, precision: str) -> PooledBackend:
    return TorchBertBackend.open(folder, pipeline, precision) or TransformersBackend(
        folder, pipeline, precision
    )


class SentenceTransformersBackend:
    """Any sentence-transformers pipeline, run by the library itself."""

    name = "sentence-transformers"
    batch_size = 32
    thread_safe = False

    def __init__(self, folder: Path, precision: str) -> None:
        from sentence_transformers import SentenceTransformer

        self._precision = precision
        self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self._model.eval()
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ModelNotFoundError(f"{folder} does not declare an embedding dimension")
        self.dimension = int(dimension)
        self.max_seq_length = int(self._model.max_seq_length)

    @contextlib.contextmanager
    def _precision_context(self) -> Iterator[None]:
        # Autocast rather than converted weights: modules of unknown kinds (Dense, custom ones)
        # may not all run in bf16, autocast keeps the numerically touchy ops in fp32.
        import torch

        with torch.inference_mode():
            if self._precision == "bf16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    yield
            else:
                yield

    def embed(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        # Longest first so each batch pads to a similar length; sentence-transformers sorts
        # too, but doing it here keeps the padding behaviour independent of its internals.
        order = np.argsort([-len(text) for text in texts], kind="stable")
        with self._precision_context():
            encoded = self._model.encode(
                [texts[i] for i in order],
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=False,
                show_progress_bar=False,
            )
        vectors = np.empty((len(texts), encoded.shape[1]), dtype=np.float32)
        vectors[order] = encoded
        return vectors
