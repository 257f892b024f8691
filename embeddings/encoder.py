"""Sentence-transformers encoder that never touches the network and uses bf16 where it pays.

Plain Transformer -> Pooling (mean or CLS) [-> Normalize] folders, like the bundled
all-MiniLM-L6-v2 (as ``embeddings.model_folder`` reads them), are pooled by citeqa's own backends
(``embeddings.torch_backends``): importing sentence-transformers costs 2-3 s (scikit-learn, scipy)
that a one-question CLI process would otherwise pay on every start. When the transformer is a plain
BERT with a ``tokenizer.json`` it runs on ``embeddings.bert`` (torch, ``tokenizers`` and
``safetensors`` only: transformers' model code costs another 2 s to import); other plain pipelines
load through ``transformers``. Any other pipeline (Dense layers, prompts, lower-casing, custom
modules) loads through ``SentenceTransformer``. All give the same vectors and the same fingerprint.
Plain pipelines run on OpenVINO (``embeddings.openvino_backend``) by default, the torch backends'
forward pass converted once and cached; torch is the fallback.

On CPUs with native bf16 matrix units (AMX or AVX-512 BF16) the fast path converts the weights to
bf16 once; elsewhere it runs in fp32, since emulated bf16 is slower than fp32. The
``SentenceTransformer`` path, whose modules we do not know, runs bf16 under CPU autocast instead.

Measured on 120-word defence passages, 2 AMX cores: bf16 autocast ran 2.0-2.5x the texts/s of
fp32 with cosine agreement >= 0.99997; bf16 weights ran 1.2-1.4x faster than autocast (whose
per-op casts took 31% of CPU time), cosine >= 0.9999. Dynamic int8 quantisation of the Linear
layers ran about 1.6x fp32, slower than bf16, and dropped agreement to 0.93 mean (0.81 worst):
not offered. With bf16 weights, batches of 32 ran ~174 texts/s against ~110-140 for 64 and 128
(100-170-word passages): bigger batches only add padding once AMX is the bottleneck.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embeddings.model_folder import (
    ModelNotFoundError,
    PlainPipeline,
    model_fingerprint,
    read_plain_pipeline,
    resolve_model_folder,
)
from embeddings.torch_backends import Backend, SentenceTransformersBackend, open_plain_torch
from embeddings.vectors import l2_normalize

logger = logging.getLogger(__name__)

__all__ = [
    "BACKENDS",
    "PRECISIONS",
    "BackendUnavailableError",
    "ModelNotFoundError",
    "SentenceEncoder",
    "cpu_supports_bf16",
    "default_cache_dir",
    "user_cache_dir",
]

PRECISIONS = ("auto", "fp32", "bf16")
BACKENDS = ("auto", "openvino", "torch")

_BF16_CPU_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})
# Beside the converted models: the model folders' hashes, read back while their files are
# unchanged (``model_fingerprint``).
FINGERPRINT_MEMO = "fingerprints.json"


class BackendUnavailableError(RuntimeError):
    """``backend="openvino"`` was asked for, but OpenVINO cannot run this model here."""


def user_cache_dir() -> Path:
    """citeqa's per-user cache folder: ``$CITEQA_CACHE_DIR``, else ``$XDG_CACHE_HOME/citeqa``
    (by default ``~/.cache/citeqa``)."""
    configured = os.environ.get("CITEQA_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "citeqa"


def default_cache_dir() -> Path:
    """Where converted models are kept: ``models`` in ``user_cache_dir()``."""
    return user_cache_dir() / "models"


def cpu_supports_bf16() -> bool:
    """True when the CPU multiplies bf16 natively (AMX-BF16 or AVX512-BF16).

    Read from /proc/cpuinfo; other platforms report False and so run in fp32.
    """
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return not _BF16_CPU_FLAGS.isdisjoint(line.split(":", 1)[1].split())
    return False


def _usable_cores() -> int:
    return len(os.sched_getaffinity(0))


class SentenceEncoder:
    """Embeds texts with a local sentence-transformers model; satisfies ``qa.encoder.Encoder``.

    Construction only checks the folder; the model loads on first use or with ``load()``.
    ``backend`` "auto" runs plain pipelines on OpenVINO when it is installed and converts the
    model, else on torch; "openvino" insists (``BackendUnavailableError`` otherwise); "torch"
    never tries OpenVINO. Converted models are cached under ``cache_dir`` (default
    ``default_cache_dir()``). ``batch_size`` defaults to the backend's best (16 on OpenVINO,
    32 on torch). ``threads`` caps the cores the model runs on (default: every core this
    process may use), e.g. for one of several encoders sharing a machine.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        precision: str = "auto",
        batch_size: int | None = None,
        backend: str = "auto",
        cache_dir: str | Path | None = None,
        threads: int | None = None,
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        if batch_size is not None and batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if threads is not None and threads <= 0:
            raise ValueError(f"threads must be positive, got {threads}")
        self.folder = resolve_model_folder(model)
        if precision == "auto":
            precision = "bf16" if cpu_supports_bf16() else "fp32"
        self.precision = precision
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.threads = threads
        self._requested_backend = backend
        self._model: Backend | None = None
        self._fingerprint: str | None = None
        self._forward = threading.Lock()

    def load(self) -> SentenceEncoder:
        """Load the model now (idempotent) and return ``self``."""
        if self._model is not None:
            return self
        # Set before the import: huggingface_hub reads it once, and a local folder must never
        # turn into a hub lookup because of a typo.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        pipeline = read_plain_pipeline(self.folder)
        model = None
        if self._requested_backend != "torch":
            model = self._open_openvino(pipeline)
        if model is None:
            model = self._open_torch(pipeline)
        self._model = model
        logger.info(
            "loaded %s via %s (%s, dimension %d, max_seq_length %d)",
            self.folder,
            model.name,
            self.precision,
            model.dimension,
            model.max_seq_length,
        )
        return self

    def _open_openvino(self, pipeline: PlainPipeline | None) -> Backend | None:
        """The OpenVINO backend, or None (logged) when "auto" must fall back to torch."""
        try:
            if pipeline is None:
                raise BackendUnavailableError(
                    f"{self.folder} is not a plain Transformer + Pooling pipeline"
                )
            from embeddings.openvino_backend import ConversionError, OpenVinoBackend
        except (ImportError, BackendUnavailableError) as exc:
            reason: Exception = exc
        else:
            try:
                return OpenVinoBackend.open(
                    self.folder,
                    self.fingerprint,
                    self.precision,
                    self.cache_dir,
                    lambda: open_plain_torch(self.folder, pipeline, "fp32"),
                    threads=self.threads,
                )
            except (ImportError, ConversionError) as exc:
                reason = exc
        if self._requested_backend == "openvino":
            raise BackendUnavailableError(f"OpenVINO cannot run {self.folder}: {reason}")
        logger.info("not using OpenVINO for %s (%s); embedding with torch", self.folder, reason)
        return None

    def _open_torch(self, pipeline: PlainPipeline | None) -> Backend:
        # Imported here so that merely importing this module (e.g. for `citeqa --help`) does not
        # pay for torch.
        import torch

        torch.set_num_threads(self.threads or _usable_cores())
        if pipeline is None:
            return SentenceTransformersBackend(self.folder, self.precision)
        return open_plain_torch(self.folder, pipeline, self.precision)

    @property
    def backend(self) -> str:
        """What runs the model; loads. 'openvino' (plain pipelines, when available),
        'torch-bert' (plain BERT pipelines on torch), 'transformers' (other plain pipelines on
        torch) or 'sentence-transformers' (any other pipeline)."""
        model = self.load()._model
        assert model is not None
        return model.name

    @property
    def dimension(self) -> int:
        model = self.load()._model
        assert model is not None
        return model.dimension

    @property
    def fingerprint(self) -> str:
        """Model content hash: the same whichever backend or precision runs the model.

        bf16 vectors agree with fp32 ones to cosine > 0.9999, well inside what retrieval can
        notice, so an index built on an AMX server opens on a laptop without re-embedding.
        """
        if self._fingerprint is None:
            memo = self.cache_dir / FINGERPRINT_MEMO
            self._fingerprint = f"st-{model_fingerprint(self.folder, memo)}"
        return self._fingerprint

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimension) float32 unit vectors, in the order of ``texts``."""
        model = self.load()._model
        assert model is not None
        if len(texts) == 0:
            return np.zeros((0, model.dimension), dtype=np.float32)
        batch_size = self.batch_size or model.batch_size
        if model.thread_safe:
            return l2_normalize(model.embed(texts, batch_size))
        # One forward pass at a time: torch already spreads each over every core, and
        # concurrent requests each starting their own thread team thrash a small CPU.
        with self._forward:
            return l2_normalize(model.embed(texts, batch_size))
