"""The layout of an index folder and the locks that order its writers across processes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from qa.errors import IndexBusy, IndexNotFound
from qa.index.snapshots import MANIFEST

logger = logging.getLogger(__name__)

DATABASE = "chunks.sqlite"
CACHE = "embeddings.sqlite"
# Where citeqa before issue 22 kept the encoder's converted model, written before the index
# itself: a folder holding only that is still a new one.
MODELS = "models"
# Held by a process for a whole update, so that writers in other processes queue up.
WRITE_LOCK = "write.lock"
# Held from the SQLite commit until the manifest names the new snapshots: a process opening
# the folder in that window waits on it instead of taking the folder for a crashed one.
PUBLISH_LOCK = "publish.lock"
LOCKS = (WRITE_LOCK, PUBLISH_LOCK)


def check_folder(folder: Path, *, create: bool) -> None:
    """Raise ``IndexNotFound`` unless ``folder`` holds an index, or (``create``) can hold a
    new one; creates nothing, so callers can check before loading a model."""
    if folder.exists() and not folder.is_dir():
        raise IndexNotFound(f"{folder} is a file, not an index folder")
    holds_index = any((folder / name).exists() for name in (DATABASE, MANIFEST, CACHE))
    if holds_index:
        return
    if not create:
        raise IndexNotFound(
            f"no index at {folder}; build one with `citeqa index PATH --index {folder}`"
        )
    if folder.is_dir() and any(path.name != MODELS for path in folder.iterdir()):
        raise IndexNotFound(
            f"{folder} is not an index folder (it holds other files); "
            "choose a new or empty folder for the index"
        )


@contextmanager
def writing(folder: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold ``folder``'s writer lock for an update; other processes' writers queue up.

    Without ``wait``, raise ``IndexBusy`` at once when another process holds it.
    """
    lock = FileLock(folder / WRITE_LOCK)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if not wait:
            raise IndexBusy(
                f"another process is writing to {folder}; try again when it is done"
            ) from None
        logger.warning("another process is writing to %s; waiting for it", folder)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def publish_lock(folder: Path) -> FileLock:
    """Held from a catalog commit until the manifest names the new snapshots."""
    return FileLock(folder / PUBLISH_LOCK)
