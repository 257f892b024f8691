"""Embedding cache in SQLite: vectors keyed by (model fingerprint, content hash of the text).

Re-indexing unchanged text, or rebuilding an index folder, then costs a lookup instead of a
forward pass. Vectors are raw little-endian float32 blobs; nothing is pickled.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    fingerprint TEXT NOT NULL,
    key TEXT NOT NULL,
    dimension INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (fingerprint, key)
) WITHOUT ROWID;
"""
# Well under SQLite's bound-parameter limit on every version still in use.
_LOOKUP_BATCH = 500
_FLOAT32 = np.dtype("<f4")


def _batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class EmbeddingCache:
    """SQLite-backed map from (fingerprint, key) to a float32 vector. Cheap to construct."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        # One connection shared by the web server's worker threads.
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Owner-only before SQLite creates it; its -wal and -shm files take the same mode.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            db = sqlite3.connect(self.path, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def get_many(self, fingerprint: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors found for ``keys`` under ``fingerprint``; missing keys are simply absent.

        Each value is a fresh (d,) float32 array.
        """
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            db = self._connection()
            for batch in _batches(unique, _LOOKUP_BATCH):
                marks = ",".join("?" * len(batch))
                rows = db.execute(
                    f"SELECT key, dimension, vector FROM vectors "
                    f"WHERE fingerprint = ? AND key IN ({marks})",
                    (fingerprint, *batch),
                )
                for key, dimension, blob in rows:
                    if len(blob) != dimension * _FLOAT32.itemsize:
                        logger.warning("dropping corrupt cached vector %s", key)
                        continue
                    found[key] = np.frombuffer(blob, dtype=_FLOAT32).astype(np.float32)
        return found

    def put_many(self, fingerprint: str, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Store ``vectors`` (n, d) float32 under ``keys`` (n,), replacing earlier entries."""
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(keys):
            raise ValueError(
                f"expected {len(keys)} vectors as an (n, d) array, got {vectors.shape}"
            )
        if not np.isfinite(vectors).all():
            raise ValueError("refusing to cache non-finite vectors")
        rows = np.ascontiguousarray(vectors, dtype=_FLOAT32)
        dimension = rows.shape[1]
        with self._lock:
            db = self._connection()
            with db:
                db.executemany(
                    "INSERT OR REPLACE INTO vectors (fingerprint, key, dimension, vector) "
                    "VALUES (?, ?, ?, ?)",
                    (
                        (fingerprint, key, dimension, row.tobytes())
                        for key, row in zip(keys, rows, strict=True)
                    ),
                )

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
