"""The chat's landing view: what the collection holds, and questions to start from."""

from __future__ import annotations

import logging
import time

from qa.overview import Overview

logger = logging.getLogger(__name__)


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def summary_markdown(overview: Overview) -> str:
    """One line of figures ("4 documents · 1,210 pages · 5,630 passages · updated ...") and
    what to do; shown in the empty chat."""
    if not overview.documents:
        return "**The index is empty.** Add documents in the Documents tab to start."
    figures = [
        _count(overview.documents, "document"),
        _count(overview.pages, "page"),
        _count(overview.chunks, "passage"),
    ]
    if overview.updated_at is not None:
        updated = time.strftime("%Y-%m-%d %H:%M", time.localtime(overview.updated_at))
        figures.append(f"updated {updated}")
    lead = (
        "Try one of these questions, made from the documents themselves:"
        if overview.suggestions
        else "Ask a question about them."
    )
    return f"**{' · '.join(figures)}**\n\nEvery answer quotes the pages it cites. {lead}"


def example_messages(overview: Overview) -> list[dict[str, str]]:
    """The suggestions as the chat's clickable examples."""
    return [{"text": s.question} for s in overview.suggestions]
