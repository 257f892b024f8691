"""The backend choice: which ``Index`` a folder and the settings name, in one place."""

from __future__ import annotations

from pathlib import Path

from qa.index.base import Index
from qa.index.folder.layout import check_folder, make_private
from qa.index.folder.store import IndexStore
from qa.settings import Settings


def prepare_folder(folder: Path, settings: Settings, *, create: bool) -> None:
    """Raise ``IndexNotFound`` when no index can be opened at ``folder`` (checked before a
    model is loaded); with ``create``, make the folder, readable by its owner only.

    Milvus keeps only this machine's part in the folder (embedding cache, feedback), so an
    empty or new folder is fine for it.
    """
    if settings.backend == "folder":
        check_folder(folder, create=create)
    if create:
        make_private(folder)


def open_index(
    folder: Path, settings: Settings, fingerprint: str, dimension: int, *, create: bool
) -> Index:
    """The index ``settings.backend`` names, opened for vectors of that model
    (``fingerprint``, ``dimension``); with ``create``, made if missing."""
    if settings.backend == "milvus":
        # pymilvus is an optional extra, imported only by those who use it.
        from qa.index.milvus.index import MilvusIndex

        assert settings.milvus_uri is not None
        milvus = MilvusIndex(folder, settings.milvus_uri)
        return milvus.open(fingerprint, dimension, create=create)
    store = IndexStore(folder, approximate_above=settings.approximate_above)
    return store.open(fingerprint, dimension, create=create)
