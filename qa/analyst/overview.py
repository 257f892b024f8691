"""What a collection holds and what one could ask it: the landing page of a demo.

The suggested questions are made from the collection itself (``qa.analyst.suggestions``), from
as many documents as possible. Each is asked before it is offered, and kept only when the
answer is found in the document it came from, so a click never lands on "not found".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from qa.types import Answer, Chunk

if TYPE_CHECKING:
    from qa.analyst.suggestions import Suggestion

logger = logging.getLogger(__name__)

DEFAULT_SUGGESTIONS = 5
MAX_SUGGESTIONS = 6


@dataclass(frozen=True)
class Overview:
    """The collection in figures, and questions to start from."""

    documents: int
    pages: int
    chunks: int
    updated_at: float | None
    suggestions: tuple[Suggestion, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "documents": self.documents,
            "pages": self.pages,
            "chunks": self.chunks,
            "updated_at": self.updated_at,
            "suggestions": [s.to_dict() for s in self.suggestions],
        }


def _round_robin(per_document: Sequence[list[Suggestion]]) -> Iterator[Suggestion]:
    """One suggestion from each document in turn, so the first few cover different ones."""
    depth = max((len(s) for s in per_document), default=0)
    for i in range(depth):
        for suggestions in per_document:
            if i < len(suggestions):
                yield suggestions[i]


Ask = Callable[[str], Answer]
ChunksOf = Callable[[str], Sequence[Chunk]]


class Listed(Protocol):
    """What the overview reads of an indexed document (``DocumentInfo``)."""

    doc_id: str
    title: str
    pages: int
    chunks: int
    added_at: float | None


def suggest(
    documents: Sequence[Listed], chunks_of: ChunksOf, ask: Ask, n: int = DEFAULT_SUGGESTIONS
) -> tuple[Suggestion, ...]:
    """Up to ``n`` questions from the documents' own text (``chunks_of(doc_id)``), from as many
    documents as possible, the largest first; each asked with ``ask`` and kept when its answer
    is found and cites the document it was made from."""
    # Here, not at the top: the engine imports this module, and only a landing page needs the
    # suggestion rules (compiling their patterns costs every command ~35 ms).
    from qa.analyst.suggestions import CANDIDATES_PER_SUGGESTION, FACT, candidates

    if not 1 <= n <= MAX_SUGGESTIONS:
        raise ValueError(f"n must be from 1 to {MAX_SUGGESTIONS}, got {n!r}")
    largest = sorted((d for d in documents if d.chunks), key=lambda d: (-d.chunks, d.title))
    per_document = [
        candidates(chunks, d.title) for d in largest[: n * 2] if (chunks := chunks_of(d.doc_id))
    ]
    kept: list[Suggestion] = []
    for tried, suggestion in enumerate(_round_robin(per_document)):
        if len(kept) == n or tried == n * CANDIDATES_PER_SUGGESTION:
            break
        if len(documents) > 1 and suggestion.kind == FACT:
            # Among several documents the question says which one it is about.
            question = suggestion.question
            asked = f"According to the {suggestion.title}, {question[0].lower()}{question[1:]}"
            suggestion = replace(suggestion, question=asked)
        answer = ask(suggestion.question)
        if answer.found and any(c.doc_id == suggestion.doc_id for c in answer.citations):
            kept.append(suggestion)
        else:
            logger.debug("suggestion dropped, its answer is elsewhere: %s", suggestion.question)
    return tuple(kept)


class OverviewCache:
    """The overview of the current documents (``key``: their ids and content hashes), made
    once: its suggestions cost an answer each. Callers arriving while it is made wait for it
    rather than make it again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[object, int] | None = None
        self._overview: Overview | None = None

    def get(self, key: object, n: int, make: Callable[[int], Overview]) -> Overview:
        with self._lock:
            if self._overview is None or self._key != (key, n):
                self._overview = make(n)
                self._key = (key, n)
            return self._overview


def make_overview(
    documents: Sequence[Listed], chunks_of: ChunksOf, ask: Ask, n: int = DEFAULT_SUGGESTIONS
) -> Overview:
    """The figures of ``documents``, with ``n`` suggestions."""
    added = [d.added_at for d in documents if d.added_at is not None]
    return Overview(
        documents=len(documents),
        pages=sum(d.pages for d in documents),
        chunks=sum(d.chunks for d in documents),
        updated_at=max(added) if added else None,
        suggestions=suggest(documents, chunks_of, ask, n),
    )
