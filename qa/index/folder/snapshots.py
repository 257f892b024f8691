"""The derived search files of an index folder and the manifest that names them.

The FAISS file and the BM25 folder are snapshots named by a catalog generation; the manifest,
written last and atomically, names the generation they belong to and records what produced
the index (model, chunking recipe). A process killed at any point leaves either the previous
manifest (its snapshots are still on disk) or a catalog ahead of the manifest, from which the
snapshots are made again.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field, fields
from pathlib import Path

from embeddings.atomic import atomic_write_text
from embeddings.vector_index import APPROXIMATE_THRESHOLD, VectorIndex
from qa.errors import IndexCorrupt
from qa.index.folder.bm25 import LexicalIndex

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """What the published snapshots hold and what produced them. ``recipe`` is the chunking
    recipe (cleaning version and chunk sizes) the chunks were cut with; empty in folders
    written before it was recorded."""

    format_version: int
    model_fingerprint: str
    dimension: int
    metric: str
    generation: int
    documents: int
    chunks: int
    vectors: int
    recipe: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


def stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is replaced (inode, mtime, size); None when it is missing."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def read_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest; None when there is none, ``IndexCorrupt`` when unreadable."""
    path = folder / MANIFEST
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    try:
        return Manifest.from_json(text)
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexCorrupt(f"{path} is unreadable ({exc}); rebuild the index") from exc


def _paths(folder: Path, generation: int) -> tuple[Path, Path]:
    return folder / f"vectors-{generation}.faiss", folder / f"bm25-{generation}"


def load(
    folder: Path, manifest: Manifest, approximate_above: int = APPROXIMATE_THRESHOLD
) -> tuple[VectorIndex, LexicalIndex] | None:
    """The snapshots ``manifest`` names; None when they are missing, unreadable or disagree
    with it (derived files only: the catalog and the embedding cache can remake them).
    ``approximate_above`` is the vector count above which dense search goes approximate."""
    faiss_path, bm25_path = _paths(folder, manifest.generation)
    if not faiss_path.exists() or not (bm25_path.exists() or not manifest.chunks):
        return None
    try:
        vectors = VectorIndex.load(faiss_path, approximate_above=approximate_above)
        lexical = LexicalIndex.load(bm25_path) if manifest.chunks else LexicalIndex()
    except (OSError, ValueError, RuntimeError) as exc:
        logger.warning("index search files unreadable (%s); rebuilding", exc)
        return None
    if len(vectors) != manifest.vectors:
        logger.warning("index snapshot counts disagree with the chunk table; rebuilding")
        return None
    return vectors, lexical


def publish(folder: Path, manifest: Manifest, vectors: VectorIndex, lexical: LexicalIndex) -> None:
    """Write the snapshots of generation ``manifest.generation``, then the manifest naming
    them, then remove what older generations and interrupted writes left behind."""
    faiss_path, bm25_path = _paths(folder, manifest.generation)
    vectors.save(faiss_path)
    if len(lexical):
        if bm25_path.exists():
            shutil.rmtree(bm25_path)
        lexical.save(bm25_path)
    atomic_write_text(folder / MANIFEST, manifest.to_json())
    _remove_stale(folder, manifest.generation)


def _remove_stale(folder: Path, keep: int) -> None:
    for path in folder.glob("vectors-*.faiss"):
        if path.name != f"vectors-{keep}.faiss":
            path.unlink(missing_ok=True)
    for path in folder.glob("bm25-*"):
        if path.name != f"bm25-{keep}":
            shutil.rmtree(path, ignore_errors=True)
    # Hidden names are the temporary files and staging folders of the atomic writes; a
    # process killed mid-write leaves them behind, and none is in use once this runs.
    for pattern in (".vectors-*", ".bm25-*", f".{MANIFEST}.*"):
        for path in folder.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
