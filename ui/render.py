"""Answers and passages -> the HTML shown in the chat and the Markdown export.

Every piece of document text is escaped here: uploads are untrusted, so nothing from a
document may reach the page as markup.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.types import Answer, Citation, Hit, pages_label

logger = logging.getLogger(__name__)

_MARKER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Turn:
    """One exchange of a chat session: an answer, or the passages of a search-only turn."""

    question: str
    answer: Answer | None = None
    hits: tuple[Hit, ...] = ()


def _escape(text: str) -> str:
    """Escaped text with line breaks as ``<br>``: a blank line would end the HTML block."""
    return html.escape(text).replace("\n", "<br>")


def highlight(passage: str, quote: str) -> str:
    """Escaped ``passage`` with the first occurrence of ``quote`` wrapped in ``<mark>``.

    Falls back to the quote alone when the passage is missing or does not contain it,
    so the card always shows the cited words.
    """
    start = passage.find(quote) if quote else -1
    if start < 0:
        return f"<mark>{_escape(quote)}</mark>" if quote else _escape(passage)
    end = start + len(quote)
    return _escape(passage[:start]) + f"<mark>{_escape(quote)}</mark>" + _escape(passage[end:])


def _card_id(turn: int, n: int) -> str:
    return f"citeqa-src-{turn}-{n}"


def _citation_card(citation: Citation, score: float | None, turn: int) -> str:
    where = html.escape(pages_label(citation.pages) or (citation.section or ""))
    score_text = f'<span class="citeqa-score">score {score:.3f}</span>' if score is not None else ""
    section = (
        f'<div class="citeqa-section">{html.escape(citation.section)}</div>'
        if citation.section and citation.pages
        else ""
    )
    return (
        f'<details class="citeqa-card" id="{_card_id(turn, citation.n)}">'
        f'<summary><span class="citeqa-n">[{citation.n}]</span> '
        f'<span class="citeqa-title">{html.escape(citation.title)}</span>, '
        f'<span class="citeqa-pages">{where}</span> {score_text}</summary>'
        f"{section}"
        f'<div class="citeqa-passage">{highlight(citation.passage, citation.quote)}</div>'
        "</details>"
    )


def _linked_markers(text: str, turn: int, known: set[int]) -> str:
    """Escaped answer text whose ``[n]`` markers link to the matching source cards."""
    out: list[str] = []
    position = 0
    for match in _MARKER.finditer(text):
        n = int(match.group(1))
        if n not in known:
            continue
        out.append(_escape(text[position : match.start()]))
        out.append(f'<a class="citeqa-cite" href="#{_card_id(turn, n)}">[{n}]</a>')
        position = match.end()
    out.append(_escape(text[position:]))
    return "".join(out)


def answer_html(answer: Answer, turn: int) -> str:
    """The chat message for an answer: linked text (or a not-found notice) and source cards.

    ``turn`` keeps card anchors unique across the answers of one conversation. The HTML has
    no blank lines so the chat's Markdown renderer passes it through as one block.
    """
    text = _linked_markers(answer.text, turn, {c.n for c in answer.citations})
    if answer.found:
        body = f'<div class="citeqa-answer">{text}</div>'
    else:
        body = (
            '<div class="citeqa-notfound" role="status">'
            f"<strong>Not found in the documents.</strong> {text}</div>"
        )
    scores = {hit.chunk.id: hit.score for hit in answer.hits}
    cards = "".join(_citation_card(c, scores.get(c.chunk_id), turn) for c in answer.citations)
    warnings = "".join(
        f'<div class="citeqa-warning">{html.escape(w)}</div>' for w in answer.warnings
    )
    sources = f'<div class="citeqa-sources">{cards}</div>' if cards else ""
    return f'<div class="citeqa-message">{body}{warnings}{sources}</div>'


def hits_html(hits: Sequence[Hit], turn: int) -> str:
    """The chat message of a search-only turn: every passage as an open card."""
    if not hits:
        return (
            '<div class="citeqa-message"><div class="citeqa-notfound" role="status">'
            "<strong>No passages found.</strong></div></div>"
        )
    cards = []
    for hit in hits:
        chunk = hit.chunk
        where = html.escape(pages_label(chunk.pages) or (chunk.section or ""))
        cards.append(
            f'<details class="citeqa-card" id="{_card_id(turn, hit.rank)}" open>'
            f'<summary><span class="citeqa-n">#{hit.rank}</span> '
            f'<span class="citeqa-title">{html.escape(chunk.title)}</span>, '
            f'<span class="citeqa-pages">{where}</span> '
            f'<span class="citeqa-score">score {hit.score:.3f}</span></summary>'
            f'<div class="citeqa-passage">{_escape(chunk.text)}</div></details>'
        )
    return f'<div class="citeqa-message"><div class="citeqa-sources">{"".join(cards)}</div></div>'


def _quote_block(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def conversation_markdown(turns: Sequence[Turn]) -> str:
    """The conversation as Markdown: questions, answers, and each citation with its quote."""
    parts = ["# citeqa conversation"]
    for turn in turns:
        parts.append(f"## Q: {turn.question}")
        if turn.answer is not None:
            answer = turn.answer
            parts.append(answer.text if answer.found else f"**Not found.** {answer.text}")
            if answer.citations:
                parts.append("**Sources**")
                parts.extend(
                    f"[{c.n}] {c.label}\n\n{_quote_block(c.quote)}" for c in answer.citations
                )
        else:
            parts.append("**Passages**" if turn.hits else "**No passages found.**")
            for hit in turn.hits:
                where = pages_label(hit.chunk.pages) or (hit.chunk.section or "")
                label = f"{hit.chunk.title}, {where}" if where else hit.chunk.title
                parts.append(
                    f"{hit.rank}. {label} (score {hit.score:.3f})\n\n{_quote_block(hit.chunk.text)}"
                )
    return "\n\n".join(parts) + "\n"
