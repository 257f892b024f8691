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
from qa.answer.generative import ChatClient, generative_answer, rewrite_followup
from qa.compare import compare
from qa.conversation import Resolution, Turn, resolve
from qa.encoder import Encoder
from qa.errors import (
    IngestError,
    InvalidQuestion,
    LanguageModelError,
    ModelError,
    UnknownDocument,
)
from qa.feedback import FeedbackLog
from qa.indexer import AddSummary, Scan, apply_update, plan_update
from qa.ingest import Progress, load_paths
from qa.overview import DEFAULT_SUGGESTIONS, Overview, OverviewCache, make_overview
from qa.pages import PageView, load_page, render_pdf_page
from qa.retrieval.dedup import collapse_near_duplicates
from qa.retrieval.fusion import reciprocal_rank_fusion
from qa.settings import Settings
from qa.store import MODELS, DocumentInfo, IndexStore, vector_id
from qa.types import Answer, Document, Hit

logger = logging.getLogger(__name__)

SEARCH_MODES = ("hybrid", "dense", "lexical")
ANSWER_MODES = ("extractive", "generative")
MAX_K = 100
# Weight of "near the pages the previous answer cited" beside dense (1) and BM25 (2).
CONTEXT_WEIGHT = 0.5


def check_question(question: str, max_chars: int) -> str:
    """``question`` stripped; ``InvalidQuestion`` when it is empty or over ``max_chars``."""
    if not isinstance(question, str) or not question.strip():
        raise InvalidQuestion("the question is empty")
    if len(question) > max_chars:
        raise InvalidQuestion(
            f"the question is {len(question)} characters long; the limit is {max_chars} "
            "(max_query_chars)"
        )
    return question.strip()


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
        self._overviews = OverviewCache()
        self.feedback = FeedbackLog(store.folder)

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        model: str | Path | None = None,
        encoder: Encoder | None = None,
        settings: Settings | None = None,
        create: bool = True,
    ) -> Engine:
        """Open the index folder at ``path``; with ``create`` (the default) make it if missing.

        ``model`` is a sentence-transformers model folder (default: the bundled MiniLM);
        ``encoder`` replaces the model entirely (tests pass a fake one). A missing index
        (without ``create``) or a path that cannot hold one raises ``IndexNotFound`` before
        the model is loaded.
        """
        folder = Path(path) if path is not None else default_index_dir()
        IndexStore(folder).check_folder(create=create)
        if encoder is None:
            from embeddings.encoder import Encoder as SentenceEncoder
            from embeddings.encoder import ModelNotFoundError

            try:
                encoder = SentenceEncoder(model, cache_dir=folder / MODELS).load()
            except ModelNotFoundError as exc:
                raise ModelError(str(exc)) from exc
        store = IndexStore(folder).open(encoder.fingerprint, encoder.dimension, create=create)
        return cls(store, encoder, settings or Settings.from_env())

    @property
    def folder(self) -> Path:
        """The index folder this engine reads and writes."""
        return self.store.folder

    def __len__(self) -> int:
        """How many chunks the index holds."""
        return len(self.store)

    def close(self) -> None:
        with self._lock.write():
            self.store.close()
        self.feedback.close()

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
        wait: bool = True,
    ) -> AddSummary:
        """Index files, folders or ``Document``s; unchanged ones are skipped.

        Pages of a page export join their book: pages already indexed stay. For a folder,
        documents and book pages previously read from it whose files are gone are removed.
        A file that cannot be read is reported in ``summary.errors`` and its old chunks kept.
        Another process writing to the same index is waited for (``wait``) or refused with
        ``IndexBusy``.
        """
        if isinstance(sources, (str, Path, Document)):
            sources = [sources]
        documents = [s for s in sources if isinstance(s, Document)]
        paths = [Path(s) for s in sources if not isinstance(s, Document)]
        for path in paths:
            if not path.exists():
                raise IngestError(str(path), "no such file or folder")
        loaded = load_paths(paths, self.settings, progress=progress)
        scan = Scan(
            folders=tuple(str(path.resolve()) for path in paths if path.is_dir()),
            failed=frozenset(str(Path(error.path).resolve()) for error in loaded.errors),
        )
        with self._writing(wait):
            return self._update(
                [*documents, *loaded.documents],
                scan=scan,
                errors=loaded.errors,
                progress=progress,
            )

    @contextmanager
    def _writing(self, wait: bool) -> Iterator[None]:
        """One writer at a time, in this process and across processes."""
        with self._write_mutex, self.store.writing(wait=wait):
            # Another process may have published since this one last looked.
            self._catch_up()
            yield

    def _update(
        self,
        documents: Sequence[Document],
        *,
        scan: Scan | None = None,
        remove: Sequence[str] = (),
        errors: Sequence[IngestError] = (),
        progress: Progress | None = None,
    ) -> AddSummary:
        """Clean, chunk and embed while searches go on; block them only to switch over.

        The caller holds the writer locks (``_writing``), so writers never interleave.
        """
        started = time.perf_counter()
        update = plan_update(
            self.store,
            self.encoder,
            documents,
            settings=self.settings,
            scan=scan,
            remove=remove,
            errors=errors,
            progress=progress,
        )
        apply_update(self.store, update, exclusive=self._lock.write())
        summary = replace(update.summary, seconds=time.perf_counter() - started)
        logger.info("indexed: %s", summary)
        return summary

    def remove(self, doc_id: str, *, wait: bool = True) -> AddSummary:
        with self._writing(wait):
            if doc_id not in self.store.document_hashes():
                raise UnknownDocument(f"unknown document id: {doc_id!r}")
            return self._update([], remove=[doc_id])

    def _catch_up(self) -> None:
        """Switch to a generation another process published, if there is one."""
        if self.store.changed_on_disk():
            with self._lock.write():
                if self.store.changed_on_disk():
                    self.store.reload()

    # ------------------------------------------------------------------ reading
    def documents(self) -> list[DocumentInfo]:
        self._catch_up()
        with self._lock.read():
            return self.store.documents()

    def page(self, doc_id: str, number: int, *, quote: str | None = None) -> PageView:
        """Page ``number`` of ``doc_id`` as stored (the text quotes are checked against), with
        the ranges showing ``quote`` and the neighbouring page numbers; ``UnknownDocument``
        for a document or page that is not indexed."""
        self._catch_up()
        with self._lock.read():
            return load_page(self.store, doc_id, number, quote)

    def page_image(self, doc_id: str, number: int) -> bytes | None:
        """Page ``number`` of a PDF document drawn as PNG; None for other documents, or when
        the file is gone or cannot be drawn."""
        view = self.page(doc_id, number)
        if not view.has_image:
            return None
        origin = next((d.origin for d in self.documents() if d.doc_id == doc_id), None)
        return render_pdf_page(origin, number) if origin else None

    def overview(self, n: int = DEFAULT_SUGGESTIONS) -> Overview:
        """The collection in figures, and ``n`` questions made from its own text that it
        answers (see ``qa.overview``); made once per index generation."""
        self._catch_up()
        with self._lock.read():
            generation = self.store.generation
        return self._overviews.get(generation, n, self._make_overview)

    def _make_overview(self, n: int) -> Overview:
        with self._lock.read():
            documents = self.store.documents()
            chunks = self.store.chunks()
            updated_at = self.store.updated_at()
        # Checked with extractive answers: a language model would cost a call per suggestion.
        return make_overview(
            documents, chunks, updated_at, lambda q: self.ask(q, mode="extractive"), n
        )

    def compare(
        self,
        question: str,
        docs: Sequence[str] | None = None,
        *,
        k: int | None = None,
        mode: str | None = None,
    ) -> dict[str, Answer]:
        """One answer per document, in order: each of ``docs`` (2-4 ids) is asked ``question``
        alone, with its own citations and "not found" where it does not say. Without ``docs``
        the question names them ("the 2018 and 2020 white papers"; see ``qa.compare``)."""
        check_question(question, self.settings.max_query_chars)
        titles = {d.doc_id: d.title for d in self.documents()}
        return compare(
            question, titles, lambda q, doc: self.ask(q, k=k, docs=[doc], mode=mode), docs
        )

    def search(
        self,
        question: str,
        k: int | None = None,
        docs: Sequence[str] | None = None,
        *,
        mode: str | None = None,
        history: Sequence[Turn] | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages for ``question``; ``docs`` restricts to those doc ids.

        ``history`` holds the conversation's earlier turns (see ``ask``).
        """
        resolution = self.resolve(question, history)
        self._catch_up()
        with self._lock.read():
            return self._retrieve(resolution, k, docs, mode).hits

    def resolve(self, question: str, history: Sequence[Turn] | None = None) -> Resolution:
        """How ``question`` is read after ``history``: a follow-up gets a self-contained query.

        With a language model configured it rewrites the follow-up; the offline resolver
        decides whether there is one, and answers alone when the model fails or is absent.
        """
        check_question(question, self.settings.max_query_chars)
        resolution = resolve(question, history)
        settings = self.settings
        if resolution.followup and settings.llm_base_url and settings.llm_model:
            client = ChatClient(
                settings.llm_base_url,
                settings.llm_model,
                api_key=settings.llm_api_key,
                timeout=settings.llm_timeout,
            )
            try:
                rewritten = rewrite_followup(question, history or (), client)
            except LanguageModelError as error:
                logger.warning("language model could not rewrite the question: %s", error)
            else:
                resolution = replace(resolution, query=rewritten)
        return resolution

    def ask(
        self,
        question: str,
        k: int | None = None,
        docs: Sequence[str] | None = None,
        *,
        mode: str | None = None,
        history: Sequence[Turn] | None = None,
    ) -> Answer:
        """Answer with cited quotes from the passages; ``found`` is False on weak evidence.

        ``history`` holds the conversation's earlier turns, oldest first: question strings,
        ``(question, Answer)`` pairs or ``Answer``s. A question that leans on them ("and the
        Navy?") is searched as a self-contained query, given back as
        ``Answer.resolved_question``.

        The index is locked only while passages are retrieved: composing the answer (a
        language-model call can take a minute) works on the hits, which never change.
        """
        answer_mode = mode or ("generative" if self.settings.llm_base_url else "extractive")
        if answer_mode not in ANSWER_MODES:
            raise InvalidQuestion(f"mode must be one of {ANSWER_MODES}, got {answer_mode!r}")
        settings = self.settings
        if answer_mode == "generative" and not (settings.llm_base_url and settings.llm_model):
            raise InvalidQuestion(
                "generative mode needs llm_base_url and llm_model "
                "(settings or CITEQA_LLM_BASE_URL / CITEQA_LLM_MODEL)"
            )
        depth = max(self._validate_k(k), settings.answer_passages)
        resolution = self.resolve(question, history)
        self._catch_up()
        with self._lock.read():
            retrieved = self._retrieve(resolution, depth, docs, None)
        answer = self._compose(resolution, retrieved, answer_mode)
        if resolution.followup:
            answer = replace(answer, question=question.strip(), resolved_question=resolution.query)
        return answer

    def _compose(self, resolution: Resolution, retrieved: _Retrieved, answer_mode: str) -> Answer:
        settings = self.settings
        question = resolution.query
        if answer_mode == "generative":
            assert settings.llm_base_url and settings.llm_model
            client = ChatClient(
                settings.llm_base_url,
                settings.llm_model,
                api_key=settings.llm_api_key,
                timeout=settings.llm_timeout,
            )
            return generative_answer(
                question, retrieved.hits, client, settings, locate=self._quote_pages
            )
        return extractive_answer(
            question,
            retrieved.hits,
            self.encoder,
            settings,
            query_vector=retrieved.query_vector,
            locate=self._quote_pages,
            own_words=resolution.own_words if resolution.followup else None,
        )

    def _quote_pages(self, doc_id: str, pages: tuple[int, ...], quote: str) -> tuple[int, ...]:
        with self._lock.read():
            return self.store.quote_pages(doc_id, pages, quote)

    def _retrieve(
        self, resolution: Resolution, k: int | None, docs: Sequence[str] | None, mode: str | None
    ) -> _Retrieved:
        settings = self.settings
        query = check_question(resolution.query, settings.max_query_chars)
        k = self._validate_k(k)
        mode = mode or "hybrid"
        if mode not in SEARCH_MODES:
            raise InvalidQuestion(f"mode must be one of {SEARCH_MODES}, got {mode!r}")
        store = self.store
        allowed_vectors = allowed_chunks = None
        if docs:
            known = set(store.document_hashes())
            unknown = [d for d in docs if d not in known]
            if unknown:
                raise UnknownDocument(f"unknown document id(s): {', '.join(map(repr, unknown))}")
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
        if resolution.prefer and rankings:
            # A follow-up about the same thing: passages near what the last answer cited
            # count as one more (weaker) retriever's opinion.
            rankings.append(self._near_previous(rankings, resolution.prefer))
            weights.append(CONTEXT_WEIGHT)
            retrievers.append("context")
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

    def _near_previous(
        self, rankings: Sequence[Sequence[str]], prefer: dict[str, tuple[int, ...]]
    ) -> list[str]:
        """Chunk ids of ``rankings`` (best first) on or next to the preferred pages."""
        near = {doc: {p + d for p in pages for d in (-1, 0, 1)} for doc, pages in prefer.items()}
        ranked: list[str] = []
        for chunk_id in dict.fromkeys(cid for ranking in rankings for cid in ranking):
            chunk = self.store.chunk(vector_id(chunk_id))
            pages = near.get(chunk.doc_id)
            if pages is not None and (not chunk.pages or pages.intersection(chunk.pages)):
                ranked.append(chunk_id)
        return ranked

    def _validate_k(self, k: int | None) -> int:
        k = self.settings.top_k if k is None else k
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
            raise InvalidQuestion(f"k must be an integer from 1 to {MAX_K}, got {k!r}")
        return k
