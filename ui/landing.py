"""The chat's landing view: what the collection holds, and questions to start from."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence

from qa import Overview
from ui.examples import EXAMPLE_MARK

logger = logging.getLogger(__name__)


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def summary_markdown(overview: Overview, examples: Sequence[str] = ()) -> str:
    """One line of figures ("4 documents · 1,210 pages · 5,630 passages · updated ...") and
    what to do; shown in the empty chat. ``examples`` are the titles of the invented example
    documents the index holds, said to be invented."""
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
    paragraphs = [f"**{' · '.join(figures)}**"]
    if examples:
        one = len(examples) == 1
        names = ", ".join(f"*{title}*" for title in examples)
        what, leaves = (
            (f"is an {EXAMPLE_MARK}", "it leaves")
            if one
            else (f"are {EXAMPLE_MARK}s", "they leave")
        )
        paragraphs.append(
            f"{names} {what}, here to try the chat with: {leaves} the index when you add your "
            "own documents in the Documents tab."
        )
    paragraphs.append(f"Every answer quotes the pages it cites. {lead}")
    return "\n\n".join(paragraphs)


def example_messages(overview: Overview, examples: Collection[str] = ()) -> list[dict[str, str]]:
    """The suggestions as the chat's clickable examples; those made from a document in
    ``examples`` (ids of the invented example) say so on their button, not in the question."""
    return [
        {"text": s.question, "display_text": f"{s.question} ({EXAMPLE_MARK})"}
        if s.doc_id in examples
        else {"text": s.question}
        for s in overview.suggestions
    ]
