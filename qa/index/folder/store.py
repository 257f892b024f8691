"""One index folder: the catalog (SQLite), derived FAISS and BM25 snapshots, a manifest, locks.

``IndexStore`` is the only door into the folder. Searches go through ``search_dense`` and
``search_lexical``; updates through ``next_lexical``, ``apply`` and ``publish``; nothing
outside reads its parts.

About 375 lines: opening, catching up with other processes, publishing and batched commits
are one protocol whose crash-safety depends on their order, so they stay together.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import numpy as np

from embeddings.cache import EmbeddingCache
from embeddings.vector_index import APPROXIMATE_THRESHOLD, VectorIndex
from qa.errors import IndexCorrupt, ModelMismatch
from qa.index.base import Ranking
from qa.index.folder import snapshots
from qa.index.folder.bm25 import LexicalIndex
from qa.index.folder.catalog import Catalog
from qa.index.folder.layout import (
    CACHE,
    DATABASE,
    check_folder,
    make_private,
    publish_lock,
    writing,
)
from qa.index.folder.snapshots import FORMAT_VERSION, MANIFEST, Manifest
from qa.index.folder.view import SearchView, lexical_over
from qa.index.records import DocumentInfo, DocumentRecord
from qa.types import Chunk, Page

logger = logging.getLogger(__name__)


class IndexStore:
    """One index folder. Cheap constructor; ``open`` reads it (or creates it).

    Dense search is exact up to ``approximate_above`` chunks and approximate (IVF) above.
    """

    def __init__(
        self, folder: str | Path, *, approximate_above: int = APPROXIMATE_THRESHOLD
    ) -> None:
        self.folder = Path(folder)
        self.approximate_above = approximate_above
        self._catalog = Catalog(self.folder / DATABASE)
        self._cache: EmbeddingCache | None = None
        self._view = SearchView({})
        self._manifest: Manifest | None = None
        self._manifest_stamp: tuple[int, int, int] | None = None
        self._recipe: dict[str, int] = {}
        self._fingerprint = ""
        self._dimension = 0

    # ----------------------------------------------------------------- opening
    def open(self, model_fingerprint: str, dimension: int, *, create: bool = True) -> IndexStore:
        """Read the folder; with ``create``, make an empty index where there is none.

        Raises ``IndexNotFound`` when there is no index (and ``create`` is off) or the path is
        not a folder that can hold one; ``ModelMismatch`` when it was built with another model.
        """
        self._fingerprint, self._dimension = model_fingerprint, dimension
        self.check_folder(create=create)
        make_private(self.folder)
        manifest = self._read_manifest()
        if manifest is not None:
            self._check_manifest(manifest)
            self._manifest = manifest
            self._recipe = manifest.recipe
        self._catalog.open(model_fingerprint, dimension)
        self._cache = EmbeddingCache(self.folder / CACHE)
        self._load()
        return self

    def _check_manifest(self, manifest: Manifest) -> None:
        if manifest.format_version != FORMAT_VERSION:
            raise IndexCorrupt(
                f"{self.folder} has index format {manifest.format_version}, this version reads "
                f"{FORMAT_VERSION}; rebuild it with `citeqa index PATH --index {self.folder}` "
                "into an empty folder"
            )
        if manifest.model_fingerprint != self._fingerprint:
            raise ModelMismatch(
                f"{self.folder} was built with model {manifest.model_fingerprint!r} but the "
                f"current model is {self._fingerprint!r}. Open it with the same model, or "
                "rebuild: delete the folder (or pick a new --index) and run `citeqa index`."
            )

    def check_folder(self, *, create: bool) -> None:
        """See ``folder.check_folder``."""
        check_folder(self.folder, create=create)

    @contextmanager
    def writing(self, *, wait: bool = True) -> Iterator[None]:
        """Hold the folder's writer lock for an update (see ``folder.writing``)."""
        with writing(self.folder, wait=wait):
            yield

    @contextmanager
    def publishing(self) -> Iterator[None]:
        """Hold the publish lock from a commit (``apply``) until ``publish`` has run."""
        with publish_lock(self.folder):
            yield

    def _read_manifest(self) -> Manifest | None:
        stamp = snapshots.stamp(self.folder / MANIFEST)
        manifest = snapshots.read_manifest(self.folder)
        if manifest is not None:
            self._manifest_stamp = stamp
        return manifest

    def close(self) -> None:
        self._catalog.close()
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    def _load(self) -> None:
        """Read the chunk table and the snapshots the manifest names (remade if they are stale).

        A catalog ahead of the manifest means an update was committed but not yet published:
        either its writer is still at work (then wait for it to publish), or it died, or it is
        a batched update between two batches (then remake the snapshots from the catalog, as
        it would have).
        """
        published = self._manifest.generation if self._manifest is not None else 0
        if published == self._catalog.generation:
            self._load_chunks()
            if self._load_snapshots():
                return
        # Rebuilt under the publish lock: a batched update between two commits may publish
        # meanwhile, and the catalog must not move while its snapshots are remade.
        with publish_lock(self.folder):
            self._manifest = self._read_manifest()
            self._load_chunks()
            if not self._load_snapshots():
                if self._manifest is not None:
                    logger.warning(
                        "index search files of %s are behind its catalog (generation %s, "
                        "catalog %s) or unusable; rebuilding them",
                        self.folder,
                        self._manifest.generation,
                        self._catalog.generation,
                    )
                self.rebuild_snapshots()

    def _load_chunks(self) -> None:
        self._view = SearchView(self._catalog.chunks())

    def _load_snapshots(self) -> bool:
        """Load the snapshots the manifest names; False when they are missing or disagree."""
        manifest = self._manifest
        if manifest is None or manifest.generation != self._catalog.generation:
            return False
        loaded = snapshots.load(self.folder, manifest, self.approximate_above)
        if loaded is None or len(loaded[0]) != len(self._view):
            return False
        self._view.vectors, self._view.lexical = loaded
        return True

    # ------------------------------------------------------- other processes
    def changed_on_disk(self) -> bool:
        """Whether another process published a new generation since this view was loaded.

        Costs one ``stat``: call it before every search.
        """
        stamp = snapshots.stamp(self.folder / MANIFEST)
        return stamp is not None and stamp != self._manifest_stamp

    def reload(self) -> bool:
        """Catch up with the generation on disk; False (view unchanged) if that fails for now.

        The caller keeps searches out while this runs.
        """
        manifest = self._read_manifest()
        if manifest is None or manifest == self._manifest:
            return False
        if manifest.generation != self._catalog.generation:
            return False  # its writer has committed the next one; catch up once published
        previous = (self._manifest, self._view)
        self._manifest = manifest
        self._load_chunks()
        if self._load_snapshots():
            self._recipe = manifest.recipe
            logger.info("index %s: now at generation %d", self.folder, manifest.generation)
            return True
        # Superseded while we read it; the next search tries again.
        self._manifest, self._view = previous
        self._manifest_stamp = None
        return False

    # ----------------------------------------------------------------- reading
    def chunk(self, chunk_id: str) -> Chunk:
        return self._view.chunk(chunk_id)

    def chunks(self) -> list[Chunk]:
        return list(self._view.chunks.values())

    def __len__(self) -> int:
        return len(self._view)

    @property
    def generation(self) -> int:
        """The catalog's generation: bumped by every committed update."""
        return self._catalog.generation

    @property
    def recipe(self) -> dict[str, int]:
        """The chunking recipe of the last update (empty for folders that predate it)."""
        return dict(self._recipe)

    def search_dense(
        self, query_vector: np.ndarray, depth: int, docs: Sequence[str] | None = None
    ) -> Ranking:
        """The ``depth`` chunks nearest ``query_vector`` ((dim,) float32), best first;
        ``docs`` limits the search to those document ids."""
        return self._view.search_dense(query_vector, depth, docs)

    def search_lexical(
        self, query_text: str, depth: int, docs: Sequence[str] | None = None
    ) -> Ranking:
        """The ``depth`` best BM25 matches of ``query_text``, best first."""
        return self._view.search_lexical(query_text, depth, docs)

    def documents(self) -> list[DocumentInfo]:
        return self._catalog.documents()

    def page_text(self, doc_id: str, numbers: Sequence[int]) -> str | None:
        """The cleaned text of the given pages joined in order, or None if any is missing."""
        return self._catalog.page_text(doc_id, numbers)

    def page_numbers(self, doc_id: str) -> list[int]:
        return self._catalog.page_numbers(doc_id)

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        return [chunk for chunk in self.chunks() if chunk.doc_id == doc_id]

    def document_hashes(self) -> dict[str, str]:
        return self._catalog.document_hashes()

    def document_origins(self) -> dict[str, str | None]:
        return self._catalog.document_origins()

    def document_titles(self) -> dict[str, str]:
        return self._catalog.document_titles()

    def page_origins(self) -> dict[str, tuple[str, int]]:
        """Page file path -> (doc id, page number), for the pages of books."""
        return self._catalog.page_origins()

    def book_pages(self, doc_id: str) -> tuple[Page, ...]:
        """A book's pages as they were loaded, each with the file it came from, in order."""
        return self._catalog.book_pages(doc_id)

    def cached_vectors(self, embed_keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Embed key -> (dim,) float32 vector, for the keys the embedding cache holds."""
        assert self._cache is not None
        return self._cache.get_many(self._fingerprint, list(dict.fromkeys(embed_keys)))

    def stored_vectors(self, embed_keys: Iterable[str]) -> dict[str, np.ndarray]:
        """The folder keeps every vector in its embedding cache: ``cached_vectors``."""
        return self.cached_vectors(embed_keys)

    def store_vectors(self, embed_keys: Sequence[str], vectors: np.ndarray) -> None:
        """Keep ``vectors`` ((len(embed_keys), dim) float32) in the embedding cache, so that a
        crash keeps the work already paid for."""
        assert self._cache is not None
        self._cache.put_many(self._fingerprint, embed_keys, vectors)

    # ----------------------------------------------------------------- writing
    def next_lexical(
        self, records: Sequence[DocumentRecord], removed: Sequence[str] = ()
    ) -> LexicalIndex:
        """The BM25 index the store will hold once ``records`` and ``removed`` are applied.

        Changes nothing, so searches go on while it is built (the slow part of an update).
        """
        return self._view.next_lexical(records, removed)

    def apply(
        self,
        records: Sequence[DocumentRecord],
        removed: Sequence[str],
        lexical: LexicalIndex | None,
        recipe: Mapping[str, int] | None = None,
    ) -> None:
        """Commit to the catalog, then switch the in-memory FAISS and BM25 views over.

        ``lexical`` comes from ``next_lexical`` for the same records; None leaves BM25 behind
        (it misses the new chunks) until a later ``apply`` brings one. ``recipe`` is the
        chunking recipe the records were cut with. Call ``publish`` next, now or later.
        """
        self._catalog.replace_documents(records, removed)
        self._view.replace(records, removed, self._vectors_for)
        if lexical is not None:
            self._view.lexical = lexical
            self._view.lexical_stale = False
        else:
            self._view.lexical_stale = True
        if recipe is not None:
            self._recipe = dict(recipe)

    def commit(
        self,
        records: Sequence[DocumentRecord],
        removed: Sequence[str],
        recipe: Mapping[str, int],
        exclusive: AbstractContextManager[object],
        *,
        publish: bool = True,
    ) -> None:
        """Commit an update and publish the new search files (see ``base.Index.commit``).

        Building the next BM25 index and writing snapshots run outside ``exclusive`` (the
        caller's lock against concurrent searches); only the switch runs inside it. Without
        ``publish`` neither runs: the catalog is ahead of the manifest until a commit that
        publishes (a process opening the folder meanwhile remakes the snapshots, as after a
        crash).
        """
        unpublished = self._manifest is None or self._manifest.generation != self.generation
        if not (records or removed or (publish and unpublished)):
            return
        lexical = self.next_lexical(records, removed) if publish else None
        with self.publishing():
            with exclusive:
                self.apply(records, removed, lexical, recipe)
            if publish:
                self.publish()

    def rebuild_snapshots(self) -> None:
        """Remake FAISS and BM25 from the catalog and the embedding cache, and publish them."""
        view = self._view
        view.vectors = VectorIndex(self._dimension, approximate_above=self.approximate_above)
        ids = sorted(view.chunks)
        if ids:
            keys_by_chunk = self._catalog.embed_keys()
            keys = [keys_by_chunk[view.chunks[v].id] for v in ids]
            view.vectors.add(np.asarray(ids, dtype=np.int64), self._vectors_for(keys))
        view.lexical = lexical_over(list(view.chunks.values()))
        self.publish()

    def _vectors_for(self, keys: Sequence[str]) -> np.ndarray:
        """(len(keys), dim) float32 cached vectors for the embedded-text ``keys``, in order."""
        found = self.stored_vectors(keys)
        missing = [k for k in keys if k not in found]
        if missing:
            raise IndexCorrupt(
                f"{len(missing)} embeddings are missing from {self.folder / CACHE}; "
                "rebuild the index with `citeqa index` into a new folder"
            )
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def publish(self) -> None:
        """Write FAISS and BM25 snapshots of the current state, then the manifest naming them."""
        vectors, lexical = self._view.vectors, self._view.lexical
        assert vectors is not None and lexical is not None
        self._manifest = Manifest(
            format_version=FORMAT_VERSION,
            model_fingerprint=self._fingerprint,
            dimension=self._dimension,
            metric="inner_product",
            generation=self._catalog.generation,
            documents=self._catalog.document_count(),
            chunks=len(self._view),
            vectors=len(vectors),
            recipe=self._recipe,
        )
        snapshots.publish(self.folder, self._manifest, vectors, lexical)
        self._manifest_stamp = snapshots.stamp(self.folder / MANIFEST)

    def check_integrity(self) -> None:
        """Raise ``IndexCorrupt`` unless FAISS, SQLite and the manifest agree on the counts."""
        stored = self._catalog.chunk_count()
        vectors = len(self._view.vectors) if self._view.vectors is not None else -1
        manifest = self._manifest.vectors if self._manifest is not None else -1
        if not stored == vectors == manifest == len(self._view):
            raise IndexCorrupt(
                f"index counts disagree: sqlite={stored} faiss={vectors} manifest={manifest}"
            )
