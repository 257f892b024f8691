"""The engine: one index (a folder, or a Milvus collection), one encoder, hybrid search, answers.

Thread-safe: searches and answers run in parallel; adding and removing documents are
serialised and wait for running searches to finish.

Longer than most modules (~430 lines) because it is the library's front door: each public
method is the validate -> lock -> delegate step of one use, and the locking rules are easier
to check when every use of the two locks is in one file.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

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
from qa.index.base import Index
from qa.index.folder import check_folder, make_private
from qa.index.records import DocumentInfo
from qa.index.store import IndexStore
from qa.naming import named_scope, searched_in
from qa.overview import DEFAULT_SUGGESTIONS, Overview, OverviewCache, make_overview
from qa.retrieval.hybrid import SEARCH_MODES, HybridRetriever
from qa.rwlock import ReadWriteLock
from qa.settings import MAX_K, Settings, default_index_dir
from qa.types import Answer, Chunk, Document, Hit

# Reading files (pypdf, BeautifulSoup, python-docx) and composing answers (wordfreq, the
# answer model) cost ~0.3 s and ~0.45 s to import: a process that only searches, or only
# indexes, imports them where they are used below.
if TYPE_CHECKING:
    from qa.answer.generative import ChatClient
    from qa.indexing.pipeline import Scan, Source
    from qa.indexing.update import AddSummary
    from qa.ingest import Progress
    from qa.pages import PageView

logger = logging.getLogger(__name__)

ANSWER_MODES = ("extractive", "generative")


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


@dataclass(frozen=True)
class _Retrieved:
    hits: list[Hit]
    query_vector: np.ndarray


class Engine:
    """Use ``Engine.open(path)``; the constructor only wires already-open parts."""

    def __init__(self, store: Index, encoder: Encoder, settings: Settings) -> None:
        self.store = store
        self.encoder = encoder
        self.settings = settings
        self._lock = ReadWriteLock()
        self._write_mutex = threading.Lock()
        self._overviews = OverviewCache()
        self.feedback = FeedbackLog(store.folder, max_question_chars=settings.max_query_chars)

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        model: str | Path | None = None,
        encoder: Encoder | None = None,
        settings: Settings | None = None,
        create: bool = True,
        backend: str | None = None,
        milvus_uri: str | None = None,
    ) -> Engine:
        """Open the index folder at ``path``; with ``create`` (the default) make it if missing.

        ``model`` is a sentence-transformers model folder (default: the bundled MiniLM);
        ``encoder`` replaces the model entirely (tests pass a fake one). A missing index
        (without ``create``) or a path that cannot hold one raises ``IndexNotFound`` before
        the model is loaded.

        ``backend="milvus"`` keeps the index in a Milvus collection at ``milvus_uri`` (a path
        ending in ``.db`` for embedded Milvus Lite, ``http://host:19530`` for a server) and
        only the embedding cache and feedback in ``path``; default: ``settings.backend``.
        """
        settings = (settings or Settings.from_env()).with_overrides(
            backend=backend, milvus_uri=milvus_uri
        )
        folder = Path(path) if path is not None else default_index_dir()
        if settings.backend == "faiss":
            check_folder(folder, create=create)
        if create:
            make_private(folder)
        if encoder is None:
            from embeddings.encoder import Encoder as SentenceEncoder
            from embeddings.encoder import ModelNotFoundError

            try:
                # The converted model goes to the user's cache (``default_cache_dir``), shared
                # by every index: a copy per index folder cost 87 MB and a conversion each.
                encoder = SentenceEncoder(model).load()
            except ModelNotFoundError as exc:
                raise ModelError(str(exc)) from exc
        store: Index
        if settings.backend == "milvus":
            from qa.index.milvus_store import MilvusStore

            assert settings.milvus_uri is not None
            store = MilvusStore(folder, settings.milvus_uri)
        else:
            store = IndexStore(folder, approximate_above=settings.approximate_above)
        store = store.open(encoder.fingerprint, encoder.dimension, create=create)
        return cls(store, encoder, settings)

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
        sources: Sequence[Source] | Source,
        *,
        progress: Progress | None = None,
        wait: bool = True,
    ) -> AddSummary:
        """Index files, folders or ``Document``s; unchanged ones are skipped.

        Pages of a page export join their book: pages already indexed stay. For a folder,
        documents and book pages previously read from it whose files are gone are removed.
        A file that cannot be read is reported in ``summary.errors`` and its old chunks kept.
        Large collections go in batches of about ``settings.batch_chars`` characters, each
        committed as it is done (see ``qa.indexing.batches``): an interrupted run, run again, goes
        on where it stopped.
        Files are read before the writer lock is taken, so a slow file holds up no other
        writer; PDF and Word files are read in a child process bounded by
        ``settings.parse_seconds`` and ``parse_memory_bytes``. Another process writing to the
        same index is waited for (``wait``) or refused with ``IndexBusy``.
        """
        if isinstance(sources, (str, Path, Document)):
            sources = [sources]
        from qa.indexing.batches import stream_update
        from qa.indexing.pipeline import check_sources

        check_sources(sources)
        summary = stream_update(
            self.store,
            self.encoder,
            sources,
            settings=self.settings,
            writing=lambda: self._writing(wait),
            exclusive=self._lock.write,
            progress=progress,
        )
        logger.info("indexed: %s", summary)
        return summary

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
        from qa.indexing.update import apply_update, plan_update

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
        from qa.pages import load_page

        self._catch_up()
        with self._lock.read():
            return load_page(self.store, doc_id, number, quote)

    def page_image(self, doc_id: str, number: int) -> bytes | None:
        """Page ``number`` of a PDF document drawn as PNG; None for other documents, or when
        the file is gone or cannot be drawn."""
        from qa.pages import render_pdf_page

        view = self.page(doc_id, number)
        if not view.has_image:
            return None
        origin = next((d.origin for d in self.documents() if d.doc_id == doc_id), None)
        return render_pdf_page(origin, number) if origin else None

    def overview(self, n: int = DEFAULT_SUGGESTIONS) -> Overview:
        """The collection in figures, and ``n`` questions made from its own text that it
        answers (see ``qa.overview``); made once while the documents stay the same."""
        documents = self.documents()
        key = tuple(sorted((d.doc_id, d.content_hash) for d in documents))
        # Checked with extractive answers: a language model would cost a call per suggestion.
        return self._overviews.get(
            key,
            n,
            lambda count: make_overview(
                documents, self._document_chunks, lambda q: self.ask(q, mode="extractive"), count
            ),
        )

    def _document_chunks(self, doc_id: str) -> list[Chunk]:
        with self._lock.read():
            return self.store.document_chunks(doc_id)

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
        passages = self.settings.compare_passages

        def ask_alone(focused: str, doc: str) -> Answer:
            return self._ask(focused, k, [doc], mode, None, passages=passages)

        return compare(question, titles, ask_alone, docs)

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

        ``history`` holds the conversation's earlier turns; a question naming one document by
        year and kind is searched in that one (see ``ask``).
        """
        resolution = self.resolve(question, history)
        docs, _ = self._scope(resolution.query, docs)
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
            from qa.answer.generative import rewrite_followup

            try:
                rewritten = rewrite_followup(question, history or (), self._chat_client())
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
        ``Answer.resolved_question``. Without ``docs``, a question that names one document by
        year and kind ("according to the 2018 white paper"; see ``qa.naming``) is searched in
        that document only (or in the documents of that year that fit it equally well), and
        ``resolved_question`` says so.

        The index is locked only while passages are retrieved: composing the answer (a
        language-model call can take a minute) works on the hits, which never change.
        """
        return self._ask(question, k, docs, mode, history)

    def _ask(
        self,
        question: str,
        k: int | None,
        docs: Sequence[str] | None,
        mode: str | None,
        history: Sequence[Turn] | None,
        *,
        passages: int | None = None,
    ) -> Answer:
        """``ask``, an extractive answer reading ``passages`` hits instead of
        ``settings.answer_passages``."""
        answer_mode = mode or ("generative" if self.settings.llm_base_url else "extractive")
        if answer_mode not in ANSWER_MODES:
            raise InvalidQuestion(f"mode must be one of {ANSWER_MODES}, got {answer_mode!r}")
        settings = self.settings
        if answer_mode == "generative" and not (settings.llm_base_url and settings.llm_model):
            raise InvalidQuestion(
                "generative mode needs llm_base_url and llm_model "
                "(settings or CITEQA_LLM_BASE_URL / CITEQA_LLM_MODEL)"
            )
        if passages is not None and answer_mode == "extractive":
            settings = replace(settings, answer_passages=passages)
        depth = max(self._validate_k(k), settings.answer_passages)
        resolution = self.resolve(question, history)
        docs, scope = self._scope(resolution.query, docs)
        self._catch_up()
        with self._lock.read():
            retrieved = self._retrieve(resolution, depth, docs, None)
        answer = self._compose(resolution, retrieved, answer_mode, settings)
        if resolution.followup or scope:
            resolved = searched_in(resolution.query, scope) if scope else resolution.query
            answer = replace(answer, question=question.strip(), resolved_question=resolved)
        return answer

    def _scope(
        self, query: str, docs: Sequence[str] | None
    ) -> tuple[Sequence[str] | None, list[str]]:
        """``docs`` as given; without them, the documents ``query`` names by year and kind
        (``qa.naming.named_scope``) and their titles, or (None, []). Passages of the other
        editions would otherwise outrank the one asked about: "the 2018 white paper" also
        quoted the 2022 edition."""
        if docs:
            return docs, []
        self._catch_up()
        with self._lock.read():
            titles = self.store.document_titles()
        named = named_scope(query, titles)
        if not named:
            return None, []
        logger.info("%r names %s: searching only there", query, ", ".join(named))
        return list(named), [titles[d] for d in named]

    def _chat_client(self) -> ChatClient:
        from qa.answer.generative import ChatClient

        settings = self.settings
        assert settings.llm_base_url and settings.llm_model
        return ChatClient(
            settings.llm_base_url,
            settings.llm_model,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
        )

    def _compose(
        self, resolution: Resolution, retrieved: _Retrieved, answer_mode: str, settings: Settings
    ) -> Answer:
        from qa.answer.extractive import extractive_answer
        from qa.answer.generative import generative_answer

        question = resolution.query
        if answer_mode == "generative":
            return generative_answer(
                question, retrieved.hits, self._chat_client(), settings, locate=self._locate
            )
        return extractive_answer(
            question,
            retrieved.hits,
            self.encoder,
            settings,
            query_vector=retrieved.query_vector,
            locate=self._locate,
            own_words=resolution.own_words if resolution.followup else None,
        )

    def page_text(self, doc_id: str, numbers: Sequence[int]) -> str | None:
        """The cleaned text of pages ``numbers`` of ``doc_id`` joined in order (what quotes
        are checked against), or None if any is missing."""
        with self._lock.read():
            return self.store.page_text(doc_id, numbers)

    def _locate(self, doc_id: str, pages: tuple[int, ...], quote: str) -> tuple[int, ...]:
        from qa.answer.citations import quote_pages

        return quote_pages(self, doc_id, pages, quote)

    def _retrieve(
        self, resolution: Resolution, k: int | None, docs: Sequence[str] | None, mode: str | None
    ) -> _Retrieved:
        query = check_question(resolution.query, self.settings.max_query_chars)
        k = self._validate_k(k)
        mode = mode or "hybrid"
        if mode not in SEARCH_MODES:
            raise InvalidQuestion(f"mode must be one of {SEARCH_MODES}, got {mode!r}")
        if docs:
            known = set(self.store.document_hashes())
            unknown = [d for d in docs if d not in known]
            if unknown:
                raise UnknownDocument(f"unknown document id(s): {', '.join(map(repr, unknown))}")
        query_vector = self.encoder.encode([query])[0]
        retriever = HybridRetriever(self.store, self.settings)
        hits = retriever.hits(
            query, query_vector, k, docs or None, mode=mode, prefer=resolution.prefer or None
        )
        return _Retrieved(hits, query_vector)

    def _validate_k(self, k: int | None) -> int:
        k = self.settings.top_k if k is None else k
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
            raise InvalidQuestion(f"k must be an integer from 1 to {MAX_K}, got {k!r}")
        return k
