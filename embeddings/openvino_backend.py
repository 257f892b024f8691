"""OpenVINO runtime for plain Transformer -> Pooling [-> Normalize] pipelines.

The torch backend's own forward pass (transformer and pooling) is converted once with
``openvino.convert_model``, checked against torch on a probe batch, and saved as IR with fp32
weights in a cache folder keyed by the model fingerprint, the OpenVINO version and
``GRAPH_FORMAT``. Later loads read the IR and import neither torch nor transformers, which also
keeps a one-question process fast to start. Every load runs the probe batch again and compares
it with the torch vectors stored at conversion, so a damaged cache entry is rebuilt instead of
silently giving other vectors.

Inference runs with the bf16 precision hint on CPUs with native bf16 (AMX, AVX512-BF16) and in
f32 elsewhere, like the torch path, on a throughput-compiled model (one stream per core, built on
first use). Texts are sorted by length and cut into batches where padding would cost more than
another pass (``padded_batches``), at least one per stream, and run on a pool of the model's
requests shared by every thread (``embeddings.infer_pool``): tokenising and padding the next
batch overlaps the running ones, and concurrent questions share the streams. Against the earlier
design (one latency-compiled request, all cores, for any single batch, behind a lock), on the 16
sentences of real answers, 2 busy AVX2 cores (load average 7.5, medians of 5 interleaved
rounds): 0.38x the time, 0.50x the CPU, 2.6x the throughput of 8 concurrent callers; a question
22 ms against 27.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from embeddings.infer_pool import InferPool
from embeddings.model_cache import discard_entry, publish_entry, read_entry
from embeddings.tokens import padded_batches, plain_token_ids
from embeddings.vectors import l2_normalize

if TYPE_CHECKING:
    import openvino as ov
    import torch

logger = logging.getLogger(__name__)

# Part of the cache key: bump when the converted graph's inputs, outputs or pooling change.
GRAPH_FORMAT = 1
_XML = "model.xml"
# OpenVINO's compiled-model cache (``CACHE_DIR``), inside the entry whose IR it was compiled
# from: discarding the entry discards it too, and each precision and thread count gets a blob of
# its own. A process importing the blob skips compilation: 2 Zen 4 cores, bf16, 0.10-0.16 s
# against 0.23-0.26 s.
COMPILED = "compiled"
# Two lengths, so that the traced graph and the check both see a padded row.
_PROBE_TEXTS = (
    "The committee reviewed the annual budget, the training schedule and the equipment plan.",
    "A short note.",
)
# fp32 conversions agree with torch to ~1e-7; bf16 inference to ~1e-4. Anything lower is a
# different model: a bad trace or a damaged cache entry.
_MIN_PROBE_COSINE = 0.999
# Input shapes whose compiled kernels the CPU plugin keeps (its default: 5000). Measured on
# 8,000 texts of 5-220 words: memory flat from 200 on, at the default's speed.
RUNTIME_CACHE_SHAPES = 200


class ConversionError(RuntimeError):
    """The model could not be converted to OpenVINO, or converted into something else."""


class TorchSource(Protocol):
    """The torch backend to convert: ``forward`` is transformer + pooling, unnormalised."""

    max_seq_length: int

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor: ...


def cache_key(fingerprint: str, variant: str = "fp32") -> str:
    """Entry name for a model: its fingerprint, the weights' variant, OpenVINO's version."""
    import openvino

    version = re.sub(r"[^0-9A-Za-z.]+", "-", openvino.__version__)
    return f"{fingerprint}-{variant}-openvino-{version}-g{GRAPH_FORMAT}"


def _probe_batch(
    token_ids: Callable[[list[str]], list[list[int]]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, ids, mask) of the probe texts as one padded batch."""
    return next(padded_batches(token_ids(list(_PROBE_TEXTS)), len(_PROBE_TEXTS)))


def _convert(source: TorchSource, ids: np.ndarray, mask: np.ndarray) -> ov.Model:
    """``source.forward`` as an OpenVINO model with dynamic batch and length, via torch.export."""
    import openvino
    import torch

    class Pooled(torch.nn.Module):
        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return source.forward(input_ids, attention_mask)

    batch = torch.export.Dim("batch")
    length = torch.export.Dim("length", max=max(source.max_seq_length, ids.shape[1]))
    dynamic = {"input_ids": {0: batch, 1: length}, "attention_mask": {0: batch, 1: length}}
    example = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
    with torch.no_grad():
        program = torch.export.export(Pooled(), (), example, dynamic_shapes=dynamic)
    with warnings.catch_warnings():
        # torch's own decomposition pass (which OpenVINO runs) trips torch's deprecation of
        # LeafSpec; nothing a caller can act on.
        warnings.filterwarnings("ignore", r".*LeafSpec", FutureWarning)
        return openvino.convert_model(program)


class OpenVinoBackend:
    """Embeds with a converted model; ``open`` converts or loads it from the cache."""

    name = "openvino"
    thread_safe = True
    # Two single-thread streams at 16 texts each beat 32 and 64 by 4-9% on 2 AVX2 cores (the
    # issue's AMX probe also peaked at 16): less padding, and the streams stay busy.
    batch_size = 16

    def __init__(
        self,
        core: ov.Core,
        model: ov.Model,
        token_ids: Callable[[list[str]], list[list[int]]],
        max_seq_length: int,
        precision: str,
        threads: int | None,
        compiled_cache: Path | None = None,
    ) -> None:
        self._core = core
        self._model = model
        self._token_ids = token_ids
        self.max_seq_length = max_seq_length
        self.dimension = int(model.output(0).get_partial_shape()[1].get_length())
        self._precision_hint = "bf16" if precision == "bf16" else "f32"
        self._threads = threads
        self._compiled_cache = compiled_cache
        self._pool: InferPool | None = None
        self._compiling = threading.Lock()

    @classmethod
    def open(
        cls,
        folder: Path,
        fingerprint: str,
        precision: str,
        cache_dir: Path,
        torch_source: Callable[[], TorchSource],
        *,
        threads: int | None = None,
    ) -> OpenVinoBackend:
        """Load the cached conversion of ``folder``, converting ``torch_source()`` on a miss.

        Raises ImportError without openvino, ConversionError when the model does not convert
        into the same vectors. A cache that cannot be written only costs the next load a
        conversion. ``threads`` caps the inference threads (default: OpenVINO's choice).
        """
        import openvino

        core = openvino.Core()
        key = cache_key(fingerprint)
        entry = read_entry(cache_dir, key)
        if entry is not None:
            backend = cls._from_entry(core, folder, precision, threads, *entry)
            if backend is not None:
                return backend
            discard_entry(cache_dir, key)
        source = torch_source()
        token_ids = plain_token_ids(folder, source.max_seq_length)
        rows, ids, mask = _probe_batch(token_ids)
        try:
            import torch

            with torch.no_grad():
                pooled = source.forward(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
            expected = np.empty_like(pooled)
            expected[rows] = pooled
            model = _convert(source, ids, mask)
            backend = cls(core, model, token_ids, source.max_seq_length, precision, threads)
            backend._check_probe(expected)
        except ConversionError:
            raise
        # Exporting arbitrary model code, and compiling what came out, fails in torch's and
        # OpenVINO's own exception types, which share no base below Exception.
        except Exception as exc:
            raise ConversionError(f"{folder} does not convert to OpenVINO: {exc!r}") from exc
        metadata = {"max_seq_length": source.max_seq_length, "probe": expected.tolist()}
        try:
            publish_entry(cache_dir, key, lambda staging: backend._save(staging, metadata))
        except OSError as exc:
            logger.warning("could not cache the OpenVINO model in %s: %s", cache_dir, exc)
        return backend

    @classmethod
    def _from_entry(
        cls,
        core: ov.Core,
        folder: Path,
        precision: str,
        threads: int | None,
        entry: Path,
        metadata: dict[str, Any],
    ) -> OpenVinoBackend | None:
        try:
            limit = int(metadata["max_seq_length"])
            model = core.read_model(entry / _XML)
            token_ids = plain_token_ids(folder, limit)
            backend = cls(core, model, token_ids, limit, precision, threads, entry / COMPILED)
            backend._check_probe(np.asarray(metadata["probe"], dtype=np.float32))
        # A damaged IR fails in OpenVINO's parser with whatever exception type it raises.
        except Exception as exc:
            logger.warning(
                "cached OpenVINO model %s is unusable (%r); converting again", entry, exc
            )
            return None
        logger.info("loaded the OpenVINO model cached in %s", entry)
        return backend

    def _save(self, staging: Path, metadata: dict[str, Any]) -> dict[str, Any]:
        import openvino

        # fp32 weights: fp16 ones would change the vectors, and the precision hint decides
        # at compile time whether the CPU runs bf16.
        openvino.save_model(self._model, staging / _XML, compress_to_fp16=False)
        return metadata

    def _check_probe(self, expected: np.ndarray) -> None:
        got = np.empty_like(expected, dtype=np.float32)
        self._requests().run([_probe_batch(self._token_ids)], got)
        cosines = np.sum(l2_normalize(got) * l2_normalize(expected), axis=1)
        if got.shape != expected.shape or cosines.min() < _MIN_PROBE_COSINE:
            raise ConversionError(
                f"OpenVINO vectors differ from torch's (cosine {cosines.min():.6f})"
            )

    def _requests(self) -> InferPool:
        with self._compiling:
            if self._pool is None:
                self._pool = InferPool(self._compile())
            return self._pool

    def _compile(self) -> ov.CompiledModel:
        config: dict[str, object] = {
            "PERFORMANCE_HINT": "THROUGHPUT",
            "INFERENCE_PRECISION_HINT": self._precision_hint,
            # Kernels are kept per input shape, and length-sorted batches bring a new shape
            # every few batches: at the default 5000 shapes a 225k-chunk build grew by GBs.
            "CPU_RUNTIME_CACHE_CAPACITY": RUNTIME_CACHE_SHAPES,
        }
        if self._threads is not None:
            # Unset, OpenVINO takes every physical core, which suits a process of its own.
            config["INFERENCE_NUM_THREADS"] = self._threads
        compiled = None
        if self._compiled_cache is not None:
            try:
                compiled = self._core.compile_model(
                    self._model, "CPU", {**config, "CACHE_DIR": str(self._compiled_cache)}
                )
            # A cache folder that cannot be written (a read-only entry shared by several
            # users) fails in OpenVINO's own exception type; compiling without it still works.
            except Exception as exc:
                logger.info("not caching the compiled model in %s: %r", self._compiled_cache, exc)
        if compiled is None:
            compiled = self._core.compile_model(self._model, "CPU", config)
        logger.debug(
            "compiled: %s precision, %s streams",
            compiled.get_property("INFERENCE_PRECISION_HINT"),
            compiled.get_property("NUM_STREAMS"),
        )
        return compiled

    def embed(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """(len(texts), dimension) float32 sentence vectors, not yet normalised, input order.

        Thread-safe. A few texts (an answer's sentences) are cut into at least one batch per
        stream, so that every core works on them.
        """
        pool = self._requests()
        batches = padded_batches(self._token_ids(list(texts)), batch_size, min_batches=pool.size)
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        pool.run(batches, vectors)
        return vectors
