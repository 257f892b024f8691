"""The searchable view of one generation: chunks in memory, their FAISS vectors and BM25."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from embeddings.vector_index import VectorIndex
from qa.index.base import Ranking
from qa.index.folder.bm25 import LexicalIndex
from qa.index.records import DocumentRecord, vector_id
from qa.text.fields import lexical_text
from qa.types import Chunk

VectorLookup = Callable[[Sequence[str]], np.ndarray]
"""``lookup(embed_keys)``: their (len(embed_keys), dim) float32 vectors, in order."""


def lexical_over(chunks: Sequence[Chunk], previous: LexicalIndex | None = None) -> LexicalIndex:
    """A BM25 index of ``chunks`` (empty when there are none), reusing the terms of the texts
    ``previous`` holds."""
    lexical = LexicalIndex()
    if chunks:
        lexical.build([c.id for c in chunks], [lexical_text(c) for c in chunks], previous)
    return lexical


class SearchView:
    """Chunks by FAISS id with the vector and BM25 indexes over them. ``vectors`` and
    ``lexical`` are None until a generation's snapshots are loaded or rebuilt."""

    def __init__(
        self,
        chunks: Mapping[int, Chunk],
        vectors: VectorIndex | None = None,
        lexical: LexicalIndex | None = None,
    ) -> None:
        self.chunks = dict(chunks)
        self.vectors = vectors
        self.lexical = lexical
        # Set while a batched update has committed chunks BM25 does not hold yet: it may
        # still name chunks those commits replaced, which searches then skip.
        self.lexical_stale = False
        by_doc: dict[str, list[int]] = {}
        for vid, chunk in self.chunks.items():
            by_doc.setdefault(chunk.doc_id, []).append(vid)
        self._doc_vector_ids = {d: np.asarray(v, dtype=np.int64) for d, v in by_doc.items()}

    def __len__(self) -> int:
        return len(self.chunks)

    def chunk(self, chunk_id: str) -> Chunk:
        return self.chunks[vector_id(chunk_id)]

    def vector_ids_for(self, doc_ids: Iterable[str]) -> np.ndarray:
        arrays = [self._doc_vector_ids[d] for d in doc_ids if d in self._doc_vector_ids]
        return np.concatenate(arrays) if arrays else np.empty(0, dtype=np.int64)

    def search_dense(
        self, query_vector: np.ndarray, depth: int, docs: Sequence[str] | None = None
    ) -> Ranking:
        """The ``depth`` chunks nearest ``query_vector`` ((dim,) float32), best first."""
        if self.vectors is None or not self.chunks:
            return Ranking((), ())
        allowed = self.vector_ids_for(docs) if docs else None
        found = self.vectors.search(query_vector[None, :], depth, allowed)
        kept = [
            (int(v), float(s)) for v, s in zip(found.ids[0], found.scores[0], strict=True) if v >= 0
        ]
        return Ranking(tuple(self.chunks[v].id for v, _ in kept), tuple(s for _, s in kept))

    def search_lexical(
        self, query_text: str, depth: int, docs: Sequence[str] | None = None
    ) -> Ranking:
        """The ``depth`` best BM25 matches of ``query_text``, best first."""
        if self.lexical is None or not self.chunks:
            return Ranking((), ())
        allowed = {self.chunks[int(v)].id for v in self.vector_ids_for(docs)} if docs else None
        ranking = self.lexical.search(query_text, depth, allowed)
        if not self.lexical_stale:
            return ranking
        kept = [
            (cid, score)
            for cid, score in zip(ranking.ids, ranking.scores, strict=True)
            if vector_id(cid) in self.chunks
        ]
        return Ranking(tuple(c for c, _ in kept), tuple(s for _, s in kept))

    def next_lexical(
        self, records: Sequence[DocumentRecord], removed: Sequence[str] = ()
    ) -> LexicalIndex:
        """The BM25 index of this view once ``records`` and ``removed`` are applied."""
        replaced = set(removed) | {r.doc_id for r in records}
        by_doc: dict[str, list[Chunk]] = {}
        for chunk in self.chunks.values():
            if chunk.doc_id not in replaced:
                by_doc.setdefault(chunk.doc_id, []).append(chunk)
        for record in records:
            by_doc[record.doc_id] = [s.chunk for s in record.chunks]
        # The same order a reopened store reads them in, so ties rank the same.
        ordered = [c for doc_id in sorted(by_doc) for c in by_doc[doc_id]]
        return lexical_over(ordered, self.lexical)

    def replace(
        self,
        records: Sequence[DocumentRecord],
        removed: Sequence[str],
        vectors_for: VectorLookup,
    ) -> None:
        """Swap the chunks of ``records`` in and those of ``removed`` out, in place.

        ``vectors_for(embed_keys)`` gives the new chunks' vectors. The records hold every new
        chunk, so the view is updated from them rather than by re-reading the whole catalog
        while searches wait.
        """
        assert self.vectors is not None
        replaced = [*removed, *(r.doc_id for r in records)]
        gone = self.vector_ids_for(replaced)
        for vid in gone.tolist():
            del self.chunks[vid]
        for doc_id in replaced:
            self._doc_vector_ids.pop(doc_id, None)
        added: list[int] = []
        keys: list[str] = []
        for record in records:
            vids = [vector_id(s.chunk.id) for s in record.chunks]
            self.chunks.update(zip(vids, (s.chunk for s in record.chunks), strict=True))
            self._doc_vector_ids[record.doc_id] = np.asarray(vids, dtype=np.int64)
            added.extend(vids)
            keys.extend(s.embed_key for s in record.chunks)
        if gone.size:
            self.vectors.remove(gone)
        if added:
            self.vectors.add(np.asarray(added, dtype=np.int64), vectors_for(keys))
