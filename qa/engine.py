"""The engine: one index (a folder, or a Milvus collection), one encoder, hybrid search, answers.

Thread-safe: searches and answers run in parallel; adding and removing documents are
serialised and wait for running searches to finish. Each public method checks its arguments
once and hands over: updates to ``qa.indexing.writer`` (which holds the locks), searches and
answers to ``qa.asking`` (answers composed by ``qa.answer.compose``), and the analyst's uses
(pages, overview, compare) to their modules.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from qa.analyst.compare import compare
from qa.analyst.conversation import Resolution, Turn
from qa.analyst.feedback import FeedbackLog
from qa.analyst.overview import DEFAULT_SUGGESTIONS, Overview, OverviewCache, make_overview
from qa.asking import Asking, check_question
from qa.encoder import Encoder
from qa.errors import InvalidQuestion, ModelError
from qa.index.base import Index
from qa.index.factory import open_index, prepare_folder
from qa.index.records import DocumentInfo
from qa.indexing.writer import Writer
from qa.retrieval.hybrid import SEARCH_MODES
from qa.settings import Settings, default_index_dir
from qa.types import Answer, Chunk, Document, Hit

# Reading files (pypdf, BeautifulSoup, python-docx) and composing answers (the answer model
# and its features, in qa.asking) are imported where they are used: a process that only
# searches, or only indexes, does without them.
if TYPE_CHECKING:
    from qa.analyst.pages import PageView
    from qa.indexing.pipeline import Source
    from qa.indexing.update import AddSummary
    from qa.ingest import Progress

logger = logging.getLogger(__name__)


class Engine:
    """Use ``Engine.open(path)``; the constructor only wires already-open parts."""

    def __init__(self, store: Index, encoder: Encoder, settings: Settings) -> None:
        self.store = store
        self.encoder = encoder
        self._writer = Writer(store, encoder, settings)
        self._asking = Asking(store, encoder, settings, self._writer)
        self.settings = settings
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
        prepare_folder(folder, settings, create=create)
        if encoder is None:
            from embeddings.encoder import ModelNotFoundError, SentenceEncoder

            try:
                # The converted model goes to the user's cache (``default_cache_dir``), shared
                # by every index: a copy per index folder cost 87 MB and a conversion each.
                encoder = SentenceEncoder(model).load()
            except ModelNotFoundError as exc:
                raise ModelError(str(exc)) from exc
        store = open_index(folder, settings, encoder.fingerprint, encoder.dimension, create=create)
        return cls(store, encoder, settings)

    @property
    def settings(self) -> Settings:
        return self._settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        # Callers retune a live engine (tests, ``qa.answer.fit``): updates and asks follow.
        self._settings = self._writer.settings = self._asking.settings = settings

    @property
    def folder(self) -> Path:
        """The index folder this engine reads and writes."""
        return self.store.folder

    def __len__(self) -> int:
        """How many chunks the index holds."""
        return len(self.store)

    def close(self) -> None:
        self._writer.close()
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
        committed as it is done (see ``qa.indexing.batches``): an interrupted run, run again,
        goes on where it stopped.
        Files are read before the writer lock is taken, so a slow file holds up no other
        writer; PDF and Word files are read in a child process bounded by
        ``settings.parse_seconds`` and ``parse_memory_bytes``. Another process writing to the
        same index is waited for (``wait``) or refused with ``IndexBusy``.
        """
        if isinstance(sources, (str, Path, Document)):
            sources = [sources]
        return self._writer.update(sources, progress=progress, wait=wait)

    def remove(self, doc_id: str, *, wait: bool = True) -> AddSummary:
        """Drop document ``doc_id``; ``UnknownDocument`` when the index does not hold it."""
        return self._writer.update([], remove=[doc_id], wait=wait)

    # ------------------------------------------------------------------ reading
    def documents(self) -> list[DocumentInfo]:
        with self._writer.reading():
            return self.store.documents()

    def page(self, doc_id: str, number: int, *, quote: str | None = None) -> PageView:
        """Page ``number`` of ``doc_id`` as stored (the text quotes are checked against), with
        the ranges showing ``quote`` and the neighbouring page numbers; ``UnknownDocument``
        for a document or page that is not indexed."""
        from qa.analyst.pages import load_page

        with self._writer.reading():
            return load_page(self.store, doc_id, number, quote)

    def page_image(self, doc_id: str, number: int) -> bytes | None:
        """Page ``number`` of a PDF document drawn as PNG; None for other documents, or when
        the file is gone or cannot be drawn."""
        from qa.analyst.pages import render_pdf_page

        view = self.page(doc_id, number)
        if not view.has_image:
            return None
        origin = next((d.origin for d in self.documents() if d.doc_id == doc_id), None)
        return render_pdf_page(origin, number) if origin else None

    def page_text(self, doc_id: str, numbers: Sequence[int]) -> str | None:
        """The cleaned text of pages ``numbers`` of ``doc_id`` joined in order (what quotes
        are checked against), or None if any is missing."""
        return self._asking.page_text(doc_id, numbers)

    def overview(self, n: int = DEFAULT_SUGGESTIONS) -> Overview:
        """The collection in figures, and ``n`` questions made from its own text that it
        answers (see ``qa.analyst.overview``); made once while the documents stay the same."""
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
        with self._writer.lock.read():
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
        the question names them ("the 2018 and 2020 white papers"; see ``qa.analyst.compare``)."""
        from qa.answer.compose import answer_mode

        chosen, settings = answer_mode(mode, self.settings, self.settings.compare_passages)
        request = self._asking.request(question, k)
        titles = {d.doc_id: d.title for d in self.documents()}

        def ask_alone(focused: str, doc: str) -> Answer:
            alone = replace(request, question=focused, docs=[doc])
            return self._asking.answer(alone, chosen, settings)

        return compare(request.question, titles, ask_alone, docs)

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
        mode = mode or "hybrid"
        if mode not in SEARCH_MODES:
            raise InvalidQuestion(f"mode must be one of {SEARCH_MODES}, got {mode!r}")
        request = self._asking.request(question, k, docs, history)
        return self._asking.retrieve(request, request.k, mode).hits

    def resolve(self, question: str, history: Sequence[Turn] | None = None) -> Resolution:
        """How ``question`` is read after ``history``: a follow-up gets a self-contained query.

        With a language model configured it rewrites the follow-up; the offline resolver
        decides whether there is one, and answers alone when the model fails or is absent.
        """
        return self._asking.resolve(
            check_question(question, self.settings.max_query_chars), history
        )

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
        year and kind ("according to the 2018 white paper"; see ``qa.analyst.naming``) is
        searched in that document only (or in the documents of that year that fit it equally
        well), and ``resolved_question`` says so.

        The index is locked only while passages are retrieved: composing the answer (a
        language-model call can take a minute) works on the hits, which never change.
        """
        from qa.answer.compose import answer_mode

        chosen, settings = answer_mode(mode, self.settings)
        request = self._asking.request(question, k, docs, history)
        return self._asking.answer(request, chosen, settings)
