"""The engine: one index folder, one encoder, hybrid search and cited answers.

Thread-safe: searches and answers run in parallel; adding and removing documents are
serialised and wait for running searches to finish.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from qa.answer.extractive import extractive_answer
from qa.answer.generative import ChatClient, generative_answer
from qa.encoder import Encoder
from qa.errors import IngestError
from qa.indexer import AddSummary, Progress, apply_update, origin_of, plan_update
from qa.ingest import load_paths
from qa.retrieval.dedup import collapse_near_duplicates
from qa.retrieval.fusion import reciprocal_rank_fusion
from qa.settings import Settings
from qa.store import DocumentInfo, IndexStore, vector_id
from qa.types import Answer, Document, Hit

logger = logging.getLogger(__name__)

SEARCH_MODES = ("hybrid", "dense", "lexical")
ANSWER_MODES = ("extractive", "generative")
MAX_K = 100


def default_index_dir() -> Path:
    """``$CITEQA_INDEX``, else ``~/.citeqa/index``."""
    configured = os.environ.get("CITEQA_INDEX")
    return Path(configured) if configured else Path.home() / ".citeqa" / "index"


class _ReadWriteLock:
    """Many readers or one writer; a waiting writer blocks new readers so it cannot starve."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


@dataclass(frozen=True)
class _Retrieved:
    hits: list[Hit]
    query_vector: np.ndarray


class Engine:
    """Use ``Engine.open(path)``; the constructor only wires already-open parts."""

    def __init__(self, store: IndexStore, encoder: Encoder, settings: Settings) -> None:
        self.store = store
        self.encoder = encoder
        self.settings = settings
        self._lock = _ReadWriteLock()
        self._write_mutex = threading.Lock()

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        model: str | Path | None = None,
        encoder: Encoder | None = None,
        settings: Settings | None = None,
    ) -> Engine:
        """Open the index folder at ``path`` (created if missing).

        ``model`` is a sentence-transformers model folder (default: the bundled MiniLM);
        ``encoder`` replaces the model entirely (tests pass a fake one).
        """
        if encoder is None:
            from embeddings.encoder import Encoder as SentenceEncoder

            encoder = SentenceEncoder(model).load()
        folder = Path(path) if path is not None else default_index_dir()
        store = IndexStore(folder).open(encoder.fingerprint, encoder.dimension)
        return cls(store, encoder, settings or Settings.from_env())

    def close(self) -> None:
        with self._lock.write():
            self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing
    def add(
        self,
        sources: Sequence[str | Path | Document] | str | Path | Document,
        *,
        progress: Progress | None = None,
    ) -> AddSummary:
        """Index files, folders or ``Document``s; unchanged ones are skipped.

        For a folder, documents previously indexed from it whose files are gone are removed.
        A file that cannot be read is reported in ``summary.errors`` and its old chunks kept.
        """
        if isinstance(sources, (str, Path, Document)):
            sources = [sources]
        documents: list[Document] = [s for s in sources if isinstance(s, Document)]
        origins: dict[str, str] = {}
        errors = []
        seen_origins: set[str] = set()
        folders: list[Path] = []
        for source in sources:
            if isinstance(source, Document):
                continue
            argument = Path(source)
            if not argument.exists():
                raise FileNotFoundError(f"no such file or folder: {argument}")
            result = load_paths([argument], self.settings)
            errors.extend(result.errors)
            for error in result.errors:
                seen_origins.add(str(Path(error.path).resolve()))
            for doc in result.documents:
                documents.append(doc)
                origins[doc.id] = origin_of(argument, doc.source)
                seen_origins.add(origins[doc.id])
            if argument.is_dir():
                folders.append(argument.resolve())
        with self._write_mutex:
            vanished = [
                doc_id
                for doc_id, origin in self.store.document_origins().items()
                if origin
                and origin not in seen_origins
                and any(Path(origin).is_relative_to(folder) for folder in folders)
            ]
            return self._update(
                documents,
                origins=origins,
                remove=vanished,
                errors=errors,
                progress=progress,
            )

    def _update(
        self,
        documents: Sequence[Document],
        *,
        origins: dict[str, str] | None = None,
        remove: Sequence[str] = (),
        errors: Sequence[IngestError] = (),
        progress: Progress | None = None,
    ) -> AddSummary:
        """Clean, chunk and embed while searches go on; block them only to switch over.

        The caller holds ``_write_mutex``, so writers never interleave.
        """
        started = time.perf_counter()
        update = plan_update(
            self.store,
            self.encoder,
            documents,
            settings=self.settings,
            origins=origins,
            remove=remove,
            errors=errors,
            progress=progress,
        )
        apply_update(self.store, self.encoder, update, exclusive=self._lock.write())
        summary = replace(update.summary, seconds=time.perf_counter() - started)
        logger.info("indexed: %s", summary)
        return summary

    def remove(self, doc_id: str) -> AddSummary:
        with self._write_mutex:
            if doc_id not in self.store.document_hashes():
                raise KeyError(f"unknown document id: {doc_id!r}")
            return self._update([], remove=[doc_id])

    # ------------------------------------------------------------------ reading
    def documents(self) -> list[DocumentInfo]:
        with self._lock.read():
            return self.store.documents()

    def search(
        self,
        question: str,
        k: int | None = None,
        docs: Sequence[str] | None = None,
        *,
        mode: str | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages for ``question``; ``docs`` restricts to those doc ids."""
        with self._lock.read():
            return self._retrieve(question, k, docs, mode).hits

    def ask(
        self,
        question: str,
        k: int | None = None,
        docs: Sequence[str] | None = None,
        *,
        mode: str | None = None,
    ) -> Answer:
        """Answer with cited quotes from the passages; ``found`` is False on weak evidence."""
        answer_mode = mode or ("generative" if self.settings.llm_base_url else "extractive")
        if answer_mode not in ANSWER_MODES:
            raise ValueError(f"mode must be one of {ANSWER_MODES}, got {answer_mode!r}")
        settings = self.settings
        depth = max(self._validate_k(k), settings.answer_passages)
        with self._lock.read():
            retrieved = self._retrieve(question, depth, docs, None)
            if answer_mode == "generative":
                if not (settings.llm_base_url and settings.llm_model):
                    raise ValueError(
                        "generative mode needs llm_base_url and llm_model "
                        "(settings or CITEQA_LLM_BASE_URL / CITEQA_LLM_MODEL)"
                    )
                client = ChatClient(
                    settings.llm_base_url,
                    settings.llm_model,
                    api_key=settings.llm_api_key,
                    timeout=settings.llm_timeout,
                )
                answer = generative_answer(question.strip(), retrieved.hits, client, settings)
            else:
                answer = extractive_answer(
                    question.strip(),
                    retrieved.hits,
                    self.encoder,
                    settings,
                    query_vector=retrieved.query_vector,
                )
            return self._cite_exact_pages(answer)

    def _cite_exact_pages(self, answer: Answer) -> Answer:
        """A passage may span two pages; cite the page its quote actually sits on."""
        citations = []
        for citation in answer.citations:
            if len(citation.pages) > 1:
                exact = self.store.quote_pages(citation.doc_id, citation.pages, citation.quote)
                if exact:
                    citation = replace(citation, pages=exact)
            citations.append(citation)
        return replace(answer, citations=tuple(citations))

    def _retrieve(
        self, question: str, k: int | None, docs: Sequence[str] | None, mode: str | None
    ) -> _Retrieved:
        settings = self.settings
        query = self._validate_question(question)
        k = self._validate_k(k)
        mode = mode or "hybrid"
        if mode not in SEARCH_MODES:
            raise ValueError(f"mode must be one of {SEARCH_MODES}, got {mode!r}")
        store = self.store
        allowed_vectors = allowed_chunks = None
        if docs:
            known = set(store.document_hashes())
            unknown = [d for d in docs if d not in known]
            if unknown:
                raise KeyError(f"unknown document id(s): {', '.join(map(repr, unknown))}")
            allowed_vectors = store.vector_ids_for(docs)
            allowed_chunks = store.chunk_ids_for(docs)

        query_vector = self.encoder.encode([query])[0]
        if not len(store):
            return _Retrieved([], query_vector)
        depth = max(settings.fusion_depth, k)
        retrievers: list[str] = []
        rankings: list[list[str]] = []
        weights: list[float] = []
        if mode in ("hybrid", "dense") and settings.dense_weight > 0:
            assert store.vectors is not None
            found = store.vectors.search(query_vector[None, :], depth, allowed_vectors)
            rankings.append([store.chunk(int(v)).id for v in found.ids[0] if v >= 0])
            weights.append(settings.dense_weight)
            retrievers.append("dense")
        if mode in ("hybrid", "lexical") and settings.lexical_weight > 0:
            assert store.lexical is not None
            rankings.append(list(store.lexical.search(query, depth, allowed_chunks).ids))
            weights.append(settings.lexical_weight)
            retrievers.append("lexical")
        candidates = reciprocal_rank_fusion(rankings, weights, k=settings.rrf_k)[: 3 * k]
        chunks = [store.chunk(vector_id(item.id)) for item in candidates]
        keep = collapse_near_duplicates([c.text for c in chunks], settings.dedup_overlap)
        hits = []
        for rank, index in enumerate(keep[:k], start=1):
            ranks = dict(zip(retrievers, candidates[index].ranks, strict=True))
            hits.append(
                Hit(
                    chunks[index],
                    float(candidates[index].score),
                    rank,
                    dense_rank=ranks.get("dense"),
                    lexical_rank=ranks.get("lexical"),
                )
            )
        return _Retrieved(hits, query_vector)

    def _validate_k(self, k: int | None) -> int:
        k = self.settings.top_k if k is None else k
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
            raise ValueError(f"k must be an integer from 1 to {MAX_K}, got {k!r}")
        return k

    def _validate_question(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise ValueError("the question is empty")
        if len(question) > self.settings.max_query_chars:
            raise ValueError(
                f"the question is {len(question)} characters long; the limit is "
                f"{self.settings.max_query_chars} (max_query_chars)"
            )
        return question.strip()
