"""The layout of an index folder and the locks that order its writers across processes."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from qa.errors import IndexBusy, IndexNotFound
from qa.index.folder.snapshots import MANIFEST

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
# Updates spool what they read here (qa.indexing.batches), one folder each, held by IN_USE while the
# update runs: a folder whose lock is free belongs to a killed run.
SPOOLS = "spool"
IN_USE = "in-use.lock"


def make_private(folder: Path) -> None:
    """Create ``folder`` (if missing) readable by its owner only: it holds the documents' text."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def private_file(path: Path) -> Path:
    """``path``, created empty and owner-only if missing; SQLite then keeps that mode, and
    gives it to the database's -wal and -shm files too."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    return path


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
    lock = FileLock(folder / WRITE_LOCK, mode=0o600)
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
    return FileLock(folder / PUBLISH_LOCK, mode=0o600)


@contextmanager
def spool_folder(folder: Path) -> Iterator[Path]:
    """A private folder under ``folder/spool`` for one update's spool, removed afterwards.

    Folders that killed updates left behind are removed first. Updates in other threads and
    processes can run at the same time: each holds the lock in its own folder.
    """
    root = folder / SPOOLS
    root.mkdir(mode=0o700, exist_ok=True)
    # Held while a folder is made and locked, and while stale ones are looked for, so that a
    # folder is never seen between its making and its locking.
    with FileLock(root / ".lock", mode=0o600):
        _remove_stale_spools(root)
        path = Path(tempfile.mkdtemp(prefix="ingest-", dir=root))
        in_use = FileLock(path / IN_USE, mode=0o600)
        in_use.acquire()
    try:
        yield path
    finally:
        in_use.release()
        shutil.rmtree(path, ignore_errors=True)


def _remove_stale_spools(root: Path) -> None:
    for path in root.iterdir():
        if not path.is_dir() or path.is_symlink():
            continue
        lock = FileLock(path / IN_USE, mode=0o600)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue  # a running update's
        try:
            logger.info("removing %s, left by an update that was stopped", path)
            shutil.rmtree(path, ignore_errors=True)
        finally:
            lock.release()
