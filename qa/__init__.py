"""citeqa: question answering over long documents with exact page citations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qa.errors import IngestError
from qa.settings import Settings
from qa.types import Answer, Chunk, Citation, Document, Hit, Page, Paragraph

if TYPE_CHECKING:
    from qa.engine import Engine

__all__ = [
    "Answer",
    "Chunk",
    "Citation",
    "Document",
    "Engine",
    "Hit",
    "IngestError",
    "Page",
    "Paragraph",
    "Settings",
]


def __getattr__(name: str) -> Any:
    # The engine pulls in faiss and friends; keep ``import qa`` light for loaders and the UI.
    if name == "Engine":
        from qa.engine import Engine

        return Engine
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
