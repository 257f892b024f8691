"""All tunable knobs in one validated place. Per-call overrides default to ``None``."""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

BACKENDS = ("folder", "milvus")
# Old names still accepted: the folder backend was called after one of its three parts.
_BACKEND_ALIASES = {"faiss": "folder"}


@dataclass(frozen=True)
class Settings:
    # Chunking: MiniLM reads 256 word pieces; ~1.3 pieces per English word.
    chunk_min_words: int = 40
    chunk_max_words: int = 170

    # Retrieval
    top_k: int = 10
    fusion_depth: int = 100
    rrf_k: int = 30
    dense_weight: float = 1.0
    lexical_weight: float = 2.5
    dedup_overlap: float = 0.8

    # Answers
    answer_passages: int = 8
    answer_sentences: int = 3
    # Compare asks each document alone, where the document-level cues that rank passages across
    # a collection are gone: its answer reads further down that document's ranking.
    compare_passages: int = 30
    # The answer model's file (None: the one shipped in qa/answer/answer_model.json) and the
    # confidence below which an answer is "not found" (None: the threshold fitted with it).
    answer_model: str | None = None
    min_confidence: float | None = None
    # Below this share of the question's names in the closest passages, "not found" says they
    # are about something else.
    min_named_coverage: float = 0.55

    # Indexing: a batch of about this many characters of changed text is cleaned, chunked,
    # embedded and committed at a time (~4 MB of text: ~6k chunks, tens of MB in memory).
    batch_chars: int = 4_000_000
    # Above this many chunks dense search is approximate (IVF; see embeddings.vector_index,
    # whose APPROXIMATE_THRESHOLD is the same number).
    approximate_above: int = 100_000
    # Embed every quotable sentence of a new chunk too (~0.75x more embedding at index time),
    # so that an answer reads its candidates' vectors instead of encoding them per question.
    answer_vectors: bool = True

    # Limits for untrusted input
    max_file_bytes: int = 200 * 1024 * 1024
    max_pages: int = 5000
    max_chunks_per_file: int = 50_000
    max_query_chars: int = 2000
    # Word files are zip archives: python-docx unpacks every member into memory, so the
    # declared sizes are checked first. Real files mix XML (~10x smaller packed) with media
    # (~1x); a zip bomb packs about 1000x.
    max_unzipped_bytes: int = 512 * 1024 * 1024
    max_zip_ratio: int = 100
    # PDF and Word files are parsed in a child process (qa.ingest.worker): one taking longer
    # than this is killed and skipped, and its address space is capped at parse_memory_bytes.
    # The largest real white papers read in a few seconds; a Word file of 100k one-letter runs
    # takes minutes.
    parse_seconds: float = 60.0
    parse_memory_bytes: int = 2 * 1024**3

    # Where the index lives: "folder" (the index folder: SQLite, FAISS and BM25) or "milvus" (a
    # collection at milvus_uri: a path ending in .db for embedded Milvus Lite, or
    # http://host:19530). "faiss" is the folder's old name.
    backend: str = "folder"
    milvus_uri: str | None = None

    # Optional language model (OpenAI-compatible chat endpoint)
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = 60.0

    def __post_init__(self) -> None:
        positive_ints = (
            "chunk_min_words",
            "chunk_max_words",
            "top_k",
            "fusion_depth",
            "rrf_k",
            "answer_passages",
            "answer_sentences",
            "compare_passages",
            "batch_chars",
            "approximate_above",
            "max_file_bytes",
            "max_pages",
            "max_chunks_per_file",
            "max_query_chars",
            "max_unzipped_bytes",
            "max_zip_ratio",
            "parse_memory_bytes",
        )
        for name in positive_ints:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.chunk_min_words > self.chunk_max_words:
            raise ValueError(
                f"chunk_min_words ({self.chunk_min_words}) must not exceed "
                f"chunk_max_words ({self.chunk_max_words})"
            )
        for name in ("dense_weight", "lexical_weight"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        if self.dense_weight == 0 and self.lexical_weight == 0:
            raise ValueError("dense_weight and lexical_weight cannot both be 0")
        if not 0 < self.dedup_overlap <= 1:
            raise ValueError(f"dedup_overlap must be in (0, 1], got {self.dedup_overlap!r}")
        for name in ("min_confidence", "min_named_coverage"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {value!r}")
        if not isinstance(self.answer_vectors, bool):
            raise ValueError(f"answer_vectors must be True or False, got {self.answer_vectors!r}")
        if self.backend in _BACKEND_ALIASES:
            renamed = _BACKEND_ALIASES[self.backend]
            logger.warning("backend %r is now called %r", self.backend, renamed)
            object.__setattr__(self, "backend", renamed)  # frozen: the one normalised field
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.backend == "milvus" and not self.milvus_uri:
            raise ValueError("backend 'milvus' needs milvus_uri (or CITEQA_MILVUS_URI)")
        if (
            not isinstance(self.parse_seconds, (int, float))
            or isinstance(self.parse_seconds, bool)
            or not self.parse_seconds > 0
        ):
            raise ValueError(f"parse_seconds must be a positive number, got {self.parse_seconds!r}")
        if self.llm_timeout <= 0:
            raise ValueError(f"llm_timeout must be positive, got {self.llm_timeout!r}")

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults, with the language-model endpoint taken from ``CITEQA_LLM_*`` variables,
        the backend from ``CITEQA_BACKEND`` / ``CITEQA_MILVUS_URI`` and ``answer_vectors``
        from ``CITEQA_ANSWER_VECTORS`` (``0``/``1``)."""
        env = {
            "backend": os.environ.get("CITEQA_BACKEND") or None,
            "milvus_uri": os.environ.get("CITEQA_MILVUS_URI") or None,
            "answer_vectors": _env_flag("CITEQA_ANSWER_VECTORS"),
            "llm_base_url": os.environ.get("CITEQA_LLM_BASE_URL"),
            "llm_model": os.environ.get("CITEQA_LLM_MODEL"),
            "llm_api_key": os.environ.get("CITEQA_LLM_API_KEY"),
        }
        given = {key: value for key, value in overrides.items() if value is not None}
        return cls().with_overrides(**{**env, **given})

    def with_overrides(self, **overrides: Any) -> Settings:
        """Copy with the given fields replaced; ``None`` values mean "keep"."""
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _env_flag(name: str) -> bool | None:
    value = (os.environ.get(name) or "").strip().lower()
    if not value:
        return None
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 0 or 1, got {os.environ[name]!r}")


# The most passages a search or an answer may read (``k``); here rather than in qa.engine so
# that the command line checks ``-k`` without importing the engine.
MAX_K = 100


def default_index_dir() -> Path:
    """``$CITEQA_INDEX``, else ``~/.citeqa/index``."""
    configured = os.environ.get("CITEQA_INDEX")
    return Path(configured) if configured else Path.home() / ".citeqa" / "index"
