"""Models and vectors: the sentence encoder (OpenVINO or torch), the embedding cache, the
FAISS vector index and atomic file writes. Imports nothing of ``qa`` or ``ui``.

Names load with their module on first use: importing one module (the cache folder's path,
say) does not import FAISS or the encoder's backends.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from embeddings.atomic import atomic_write_bytes, atomic_write_text
    from embeddings.cache import EmbeddingCache
    from embeddings.encoder import SentenceEncoder, cpu_supports_bf16
    from embeddings.model_folder import ModelNotFoundError, default_model_path
    from embeddings.vector_index import SearchResult, VectorIndex, recall_at_k
    from embeddings.vectors import l2_normalize

_LAZY = {
    "EmbeddingCache": "embeddings.cache",
    "ModelNotFoundError": "embeddings.model_folder",
    "SearchResult": "embeddings.vector_index",
    "SentenceEncoder": "embeddings.encoder",
    "VectorIndex": "embeddings.vector_index",
    "atomic_write_bytes": "embeddings.atomic",
    "atomic_write_text": "embeddings.atomic",
    "cpu_supports_bf16": "embeddings.encoder",
    "default_model_path": "embeddings.model_folder",
    "l2_normalize": "embeddings.vectors",
    "recall_at_k": "embeddings.vector_index",
}

__all__ = [
    "EmbeddingCache",
    "ModelNotFoundError",
    "SearchResult",
    "SentenceEncoder",
    "VectorIndex",
    "atomic_write_bytes",
    "atomic_write_text",
    "cpu_supports_bf16",
    "default_model_path",
    "l2_normalize",
    "recall_at_k",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'embeddings' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
