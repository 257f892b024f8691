"""Asking: a question checked once, read after its conversation, confined to the documents it
names, searched, and answered (``qa.answer.compose``).

The read side of ``Engine``: searches share the index through the engine's ``Writer``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from qa.analyst.conversation import Resolution, Turn, resolve, turn_question
from qa.analyst.naming import named_scope, searched_in
from qa.encoder import Encoder, KeptFirst, embed_key
from qa.errors import InvalidQuestion, UnknownDocument
from qa.index.base import Index
from qa.indexing.writer import Writer
from qa.retrieval.hybrid import HybridRetriever
from qa.settings import MAX_K, Settings
from qa.types import Answer, Hit

logger = logging.getLogger(__name__)


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
class Request:
    """A search or an ask as checked at its public entry (``Asking.request``): the question
    stripped, ``k`` in range and the ``docs`` indexed."""

    question: str
    k: int
    docs: Sequence[str] | None = None
    history: Sequence[Turn] | None = None


@dataclass(frozen=True)
class Retrieved:
    """Passages for a request: how its question was read, the titles of the documents it
    named (searched alone), the hits and the query's vector."""

    resolution: Resolution
    scope: list[str]
    hits: list[Hit]
    query_vector: np.ndarray


class Asking:
    """Searches and answers over ``index``, sharing it through ``writer``."""

    def __init__(self, index: Index, encoder: Encoder, settings: Settings, writer: Writer):
        self.index = index
        self.encoder = encoder
        # Answers read the sentence vectors the index keeps rather than encoding them.
        self._answer_encoder = KeptFirst(encoder, self._kept_vectors)
        self.settings = settings
        self.writer = writer

    def request(
        self,
        question: str,
        k: int | None,
        docs: Sequence[str] | None = None,
        history: Sequence[Turn] | None = None,
    ) -> Request:
        """The arguments of a search or an ask, checked once (``InvalidQuestion``,
        ``UnknownDocument``)."""
        question = check_question(question, self.settings.max_query_chars)
        k = self.settings.top_k if k is None else k
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
            raise InvalidQuestion(f"k must be an integer from 1 to {MAX_K}, got {k!r}")
        if docs:
            with self.writer.reading():
                known = set(self.index.document_hashes())
            unknown = [d for d in docs if d not in known]
            if unknown:
                raise UnknownDocument(f"unknown document id(s): {', '.join(map(repr, unknown))}")
        return Request(question, k, docs, history)

    def resolve(self, question: str, history: Sequence[Turn] | None) -> Resolution:
        """How the checked ``question`` is read after ``history`` (see ``Engine.resolve``)."""
        resolution = resolve(question, history)
        if resolution.followup and self.settings.llm_base_url and self.settings.llm_model:
            from qa.answer.compose import rewritten

            earlier = [turn_question(turn) for turn in history or ()]
            query = rewritten(question, earlier, self.settings)
            if query is not None:
                resolution = replace(resolution, query=query)
        return resolution

    def retrieve(self, request: Request, depth: int, mode: str = "hybrid") -> Retrieved:
        """The ``depth`` best passages for ``request`` (searching ``mode``), its question
        read after its history and confined to the documents it names."""
        resolution = self.resolve(request.question, request.history)
        with self.writer.reading():
            docs, scope = self._scope(resolution.query, request.docs)
            query_vector = self.encoder.encode([resolution.query])[0]
            hits = HybridRetriever(self.index, self.settings).hits(
                resolution.query,
                query_vector,
                depth,
                docs or None,
                mode=mode,
                prefer=resolution.prefer or None,
            )
        return Retrieved(resolution, scope, hits, query_vector)

    def answer(self, request: Request, mode: str, settings: Settings) -> Answer:
        """The answer in ``mode`` (see ``qa.answer.compose.answer_mode``), reading
        ``settings``. The index is locked only while passages are retrieved."""
        from qa.answer.compose import compose

        retrieved = self.retrieve(request, max(request.k, settings.answer_passages))
        resolution = retrieved.resolution
        answer = compose(
            resolution.query,
            retrieved.hits,
            retrieved.query_vector,
            mode=mode,
            settings=settings,
            encoder=self._answer_encoder,
            pages=self,
            own_words=resolution.own_words if resolution.followup else None,
        )
        if resolution.followup or retrieved.scope:
            scope = retrieved.scope
            resolved = searched_in(resolution.query, scope) if scope else resolution.query
            answer = replace(answer, question=request.question, resolved_question=resolved)
        return answer

    def _kept_vectors(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        keys = {embed_key(text): text for text in texts}
        # Under the lock, as page_text: an engine closing meanwhile closes the cache too.
        with self.writer.lock.read():
            kept = self.index.cached_vectors(keys)
        return {keys[key]: vector for key, vector in kept.items()}

    def page_text(self, doc_id: str, numbers: Sequence[int]) -> str | None:
        """The cleaned text of pages ``numbers`` of ``doc_id`` joined in order (what quotes
        are checked against), or None if any is missing."""
        with self.writer.lock.read():
            return self.index.page_text(doc_id, numbers)

    def _scope(
        self, query: str, docs: Sequence[str] | None
    ) -> tuple[Sequence[str] | None, list[str]]:
        """``docs`` as given; without them, the documents ``query`` names by year and kind
        (``qa.analyst.naming.named_scope``) and their titles, or (None, []). Passages of the other
        editions would otherwise outrank the one asked about: "the 2018 white paper" also
        quoted the 2022 edition. The caller holds the read lock."""
        if docs:
            return docs, []
        titles = self.index.document_titles()
        named = named_scope(query, titles)
        if not named:
            return None, []
        logger.info("%r names %s: searching only there", query, ", ".join(named))
        return list(named), [titles[d] for d in named]
