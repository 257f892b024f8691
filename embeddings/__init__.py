"""Models and vectors: the sentence encoder (OpenVINO or torch), the embedding cache, the
FAISS vector index and atomic file writes. Imports nothing of ``qa`` or ``ui``."""

from __future__ import annotations

from embeddings.atomic import atomic_write_bytes, atomic_write_text
from embeddings.cache import EmbeddingCache
from embeddings.encoder import SentenceEncoder, cpu_supports_bf16
from embeddings.model_folder import ModelNotFoundError, default_model_path
from embeddings.vector_index import SearchResult, VectorIndex, recall_at_k
from embeddings.vectors import l2_normalize

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
