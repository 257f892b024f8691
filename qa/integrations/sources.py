"""An answer as plain text that keeps its sources, for clients that show only text.

MCP clients that ignore structured content and chat front ends that show only the message
both lose citations kept in side fields; the ``[n]`` markers stay in the answer and a
"Sources" list after it names each one's document, pages and quote.
"""

from __future__ import annotations

from collections.abc import Sequence

from qa.types import Answer, Citation

SOURCES_HEADING = "Sources:"


def source_line(citation: Citation) -> str:
    """``[1] Valdoria Defence White Paper 2024, p. 16 (doc valdoria): “The Air Force ...”``"""
    return f"[{citation.n}] {citation.label} (doc {citation.doc_id}): “{citation.quote}”"


def sources_text(citations: Sequence[Citation]) -> str:
    """The "Sources" list, or empty when there is nothing to cite."""
    if not citations:
        return ""
    return "\n".join([SOURCES_HEADING, *(source_line(c) for c in citations)])


def answer_with_sources(answer: Answer) -> str:
    """The answer's text with its ``[n]`` markers, then its "Sources" list."""
    sources = sources_text(answer.citations)
    return f"{answer.text}\n\n{sources}" if sources else answer.text
