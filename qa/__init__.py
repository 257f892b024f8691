"""citeqa: question answering over long documents with exact page citations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qa.errors import CiteqaError, IngestError
from qa.index.records import DocumentInfo
from qa.settings import Settings
from qa.types import Answer, Chunk, Citation, Document, Hit, Page

if TYPE_CHECKING:
    from qa.engine import Engine
    from qa.indexing.update import AddSummary

__all__ = [
    "AddSummary",
    "Answer",
    "Chunk",
    "Citation",
    "CiteqaError",
    "Document",
    "DocumentInfo",
    "Engine",
    "Hit",
    "IngestError",
    "Page",
    "Settings",
]


def __getattr__(name: str) -> Any:
    # The engine pulls in faiss and friends; keep ``import qa`` light for loaders and the UI.
    if name == "Engine":
        from qa.engine import Engine

        return Engine
    if name == "AddSummary":
        from qa.indexing.update import AddSummary

        return AddSummary
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
