"""Cleaning a read document: ``clean_document`` runs the page-level repairs in order
(boilerplate, ligature repair, line-end hyphens); ``paragraphs`` then types each page's blocks
(``blocks``, with ``prose`` and ``pipe_tables``) and rebuilds paragraphs across pages.

Imports only the ground floor (``qa.types``, ``qa.text``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from qa.clean.boilerplate import strip_boilerplate
from qa.clean.hyphens import join_line_end_hyphens
from qa.clean.ligatures import repair_ligatures
from qa.clean.paragraphs import paragraphs
from qa.clean.vocabulary import Vocabulary
from qa.types import Document, Page

__all__ = ["Vocabulary", "build_vocabulary", "clean_document", "paragraphs"]


def _texts(doc: Document) -> list[str]:
    return [page.text for page in doc.pages] if doc.pages is not None else [doc.text]


def build_vocabulary(docs: Iterable[Document]) -> Vocabulary:
    """Words seen whole across ``docs`` (backed by English word frequencies at lookup); ``docs``
    is iterated once, so a stream of documents need not be held in memory."""
    return Vocabulary.from_texts(text for doc in docs for text in _texts(doc))


def _repair(text: str, vocabulary: Vocabulary) -> str:
    return join_line_end_hyphens(repair_ligatures(text, vocabulary), vocabulary)


def clean_document(doc: Document) -> Document:
    """``doc`` with furniture removed and split words rejoined on every page (or in ``text``).

    The document itself is the corpus the repairs weigh (backed by English word frequencies),
    so its cleaned text depends on nothing else: not on which documents share an update, nor
    on how many batches a book's pages arrived in.
    """
    doc = strip_boilerplate(doc)
    vocabulary = build_vocabulary([doc])
    if doc.pages is None:
        return replace(doc, text=_repair(doc.text, vocabulary))
    pages = tuple(Page(page.number, _repair(page.text, vocabulary)) for page in doc.pages)
    return replace(doc, pages=pages)
