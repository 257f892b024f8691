"""Folder of derived model files (e.g. converted OpenVINO IR), published atomically by key.

Each entry is one folder ``ROOT/KEY`` holding the files and a ``manifest.json`` that names
every file with its size. An entry is built in a hidden staging folder, fsynced, and renamed
into place: a process killed mid-write leaves only a staging folder, which no reader takes for
an entry, and a later publish clears it. A folder whose manifest is missing or whose files do
not have the sizes it records (a truncated copy, a disk that filled up) is not an entry.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from embeddings.atomic import atomic_write_text, fsync_directory

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
# A conversion takes seconds; a staging folder this old belongs to a process that died.
_ABANDONED_AFTER_SECONDS = 3600.0


def read_entry(root: Path, key: str) -> tuple[Path, dict[str, Any]] | None:
    """The folder of entry ``key`` and the metadata it was published with, if it is complete."""
    folder = Path(root) / key
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
        complete = manifest["key"] == key and all(
            (folder / name).stat().st_size == size for name, size in files.items()
        )
        metadata = manifest["metadata"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not complete or not isinstance(metadata, dict):
        return None
    return folder, metadata


def discard_entry(root: Path, key: str) -> None:
    """Remove entry ``key`` (e.g. one that failed to load); readers holding its files keep them."""
    folder = Path(root) / key
    if not folder.exists():
        return
    # Renamed first so that no reader sees a half-deleted entry.
    trash = Path(tempfile.mkdtemp(dir=root, prefix=f".{key}.discarded."))
    try:
        os.replace(folder, trash / key)
    except OSError:
        logger.debug("entry %s vanished while being discarded", folder, exc_info=True)
    shutil.rmtree(trash, ignore_errors=True)


def publish_entry(root: Path, key: str, write: Callable[[Path], Mapping[str, Any]]) -> Path:
    """Build entry ``key`` with ``write(staging_folder) -> metadata`` and move it into place.

    Returns the entry's folder. When another process published the same key meanwhile, its
    entry is kept and ours is dropped. On any error nothing is left behind.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_staging(root)
    # Not mkdtemp: its private mode would stick to the published entry.
    staging = root / f".{key}.staging.{uuid.uuid4().hex}"
    staging.mkdir()
    target = root / key
    try:
        metadata = dict(write(staging))
        files = {}
        for path in sorted(staging.iterdir()):
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
            files[path.name] = path.stat().st_size
        manifest = {"key": key, "files": files, "metadata": metadata}
        atomic_write_text(staging / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
        if read_entry(root, key) is None:
            discard_entry(root, key)
        try:
            os.rename(staging, target)
        except OSError:
            if read_entry(root, key) is None:
                raise
            logger.info("%s was published by another process meanwhile", target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    fsync_directory(root)
    return target


def _remove_abandoned_staging(root: Path) -> None:
    now = time.time()
    for path in root.glob(".*.staging.*"):
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > _ABANDONED_AFTER_SECONDS:
                shutil.rmtree(path, ignore_errors=True)
