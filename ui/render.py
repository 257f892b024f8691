"""Answers and passages -> the HTML shown in the chat and the Markdown export.

Every piece of document text is escaped here: uploads are untrusted, so nothing from a
document may reach the page as markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa import Answer, Chunk, Citation, Hit, block_name, markdown_table, place_label
from ui.pagelink import page_links_html

_MARKER = re.compile(r"\[(\d+)\]")
# How much of a passage a closed search result shows.
PREVIEW_CHARS = 160


@dataclass(frozen=True)
class Turn:
    """One exchange of a chat session: an answer, or the passages of a search-only turn.

    ``resolved`` is what was searched when the question was a follow-up.
    """

    question: str
    answer: Answer | None = None
    hits: tuple[Hit, ...] = ()
    resolved: str | None = None

    @property
    def history_item(self) -> Answer | str:
        """This turn as the engine reads conversation history."""
        if self.answer is not None:
            return self.answer
        return self.resolved or self.question


def resolved_html(query: str | None) -> str:
    """The "Searched for" line of a follow-up; clicking it puts the query in the question
    box to edit and resend (see ``ui.app.HEAD``)."""
    if not query:
        return ""
    escaped = html.escape(query)
    return (
        '<button type="button" class="citeqa-resolved" '
        'title="Edit this query and ask it again">'
        f"Searched for: <em>{escaped}</em> ✎</button>"
    )


# Bidi overrides, embeddings and isolates can make a title or a quote read otherwise than its
# characters say, and zero-width characters hide inside words: shown text drops them (the
# index keeps the text as it was read).
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def visible(text: str) -> str:
    """``text`` without bidi controls and zero-width characters, for display."""
    return _INVISIBLE.sub("", text)


def _escape(text: str) -> str:
    """Escaped text with line breaks as ``<br>``: a blank line would end the HTML block."""
    return html.escape(visible(text)).replace("\n", "<br>")


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


def _card_id(turn: int | str, n: int) -> str:
    return f"citeqa-src-{turn}-{n}"


def rank_note(hit: Hit) -> str:
    """Why a passage was chosen, in words, for a tooltip: the raw fused score means nothing
    to a reader, the ranks each retriever gave it do."""
    parts = [f"#{hit.rank} of the passages found"]
    if hit.dense_rank is not None:
        parts.append(f"#{hit.dense_rank} by meaning")
    if hit.lexical_rank is not None:
        parts.append(f"#{hit.lexical_rank} by keywords")
    return "; ".join(parts)


def _card(
    card_id: str,
    marker: str,
    title: str,
    where: str,
    body: str,
    *,
    note: str = "",
    section: str = "",
    is_open: bool = False,
    preview: str = "",
    footer: str = "",
) -> str:
    """A collapsible source card; every argument but ``body`` and ``footer`` (HTML) is plain
    text, escaped here. ``preview`` is shown in the closed card, under its title."""
    tooltip = f' title="{html.escape(note)}"' if note else ""
    section_html = (
        f'<div class="citeqa-section">{html.escape(visible(section))}</div>' if section else ""
    )
    preview_html = (
        f'<div class="citeqa-preview">{html.escape(visible(preview))}</div>' if preview else ""
    )
    return (
        f'<details class="citeqa-card" id="{card_id}"{" open" if is_open else ""}>'
        f'<summary{tooltip}><span class="citeqa-n">{html.escape(marker)}</span> '
        f'<span class="citeqa-title">{html.escape(visible(title))}</span>, '
        f'<span class="citeqa-pages">{html.escape(where)}</span>{preview_html}</summary>'
        f'{section_html}<div class="citeqa-passage">{body}</div>{footer}</details>'
    )


def table_html(rows: Sequence[Sequence[str]], marked: int = 0) -> str:
    """``rows`` (header first) as an escaped HTML table; the first ``marked`` body rows (the
    ones the answer quotes) are highlighted."""
    if not rows:
        return ""
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in rows[0])
    body = []
    for i, row in enumerate(rows[1:]):
        cells = "".join(f"<td>{html.escape(cell)}</td>" for cell in row)
        mark = ' class="citeqa-row-quoted"' if i < marked else ""
        body.append(f"<tr{mark}>{cells}</tr>")
    return (
        f'<table class="citeqa-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _where(source: Chunk | Citation) -> str:
    """Where a passage sits, as its card names it next to the title: ``Chart 6-7, p. 243`` for
    a table or figure; pages (else the section) for the rest."""
    name = block_name(source.kind, source.block_label)
    return ", ".join(part for part in (name, place_label(source.pages, source.section)) if part)


def _card_body(citation: Citation) -> str:
    """A table citation shows its quoted rows under the header; other passages as text."""
    if citation.table:
        passage = citation.passage
        title = "" if passage.startswith("|") else passage.partition("\n|")[0]
        caption = f'<div class="citeqa-table-title">{_escape(title)}</div>' if title else ""
        return caption + table_html(citation.table, len(citation.table) - 1)
    return highlight(citation.passage, citation.quote)


def _answer_tables(answer: Answer) -> str:
    """The quoted rows of each table citation, as a table under the answer text."""
    parts = []
    for c in answer.citations:
        if c.table and answer.found:
            label = html.escape(visible(block_name(c.kind, c.block_label) or c.title))
            parts.append(
                f'<figure class="citeqa-answer-table"><figcaption>[{c.n}] {label}</figcaption>'
                f"{table_html(c.table)}</figure>"
            )
    return "".join(parts)


def _citation_card(citation: Citation, hit: Hit | None, turn: int | str) -> str:
    return _card(
        _card_id(turn, citation.n),
        f"[{citation.n}]",
        citation.title,
        _where(citation),
        _card_body(citation),
        note=rank_note(hit) if hit is not None else "",
        section=citation.section if citation.section and citation.pages else "",
        footer=page_links_html(citation.doc_id, citation.pages, citation.quote),
    )


def _emphasised(text: str, short: str | None) -> str:
    """Escaped ``text`` with the first occurrence of ``short`` in bold."""
    start = text.find(short) if short else -1
    if start < 0 or short is None:
        return _escape(text)
    end = start + len(short)
    return (
        f'{_escape(text[:start])}<strong class="citeqa-short">{_escape(short)}</strong>'
        f"{_escape(text[end:])}"
    )


def _linked_markers(text: str, turn: int | str, known: set[int], short: str | None = None) -> str:
    """Escaped answer text whose ``[n]`` markers link to the matching source cards, with the
    short answer (its first occurrence) in bold."""
    out: list[str] = []
    position = 0
    for match in _MARKER.finditer(text):
        n = int(match.group(1))
        if n not in known:
            continue
        piece = text[position : match.start()]
        out.append(_emphasised(piece, short))
        if short and short in piece:
            short = None
        out.append(f'<a class="citeqa-cite" href="#{_card_id(turn, n)}">[{n}]</a>')
        position = match.end()
    out.append(_emphasised(text[position:], short))
    return "".join(out)


def answer_html(answer: Answer, turn: int | str) -> str:
    """The chat message for an answer: linked text (or a not-found notice) and source cards.

    ``turn`` keeps card anchors unique across the answers of one conversation. The HTML has
    no blank lines so the chat's Markdown renderer passes it through as one block.
    """
    short = answer.short if answer.found and not answer.tentative else None
    text = _linked_markers(answer.text, turn, {c.n for c in answer.citations}, short)
    if answer.tentative:
        body = (
            '<div class="citeqa-answer citeqa-tentative"><strong>Possible answer</strong> '
            f"(confidence {answer.confidence:.0%}): {text}</div>{_answer_tables(answer)}"
        )
    elif answer.found:
        body = f'<div class="citeqa-answer">{text}</div>{_answer_tables(answer)}'
    else:
        body = (
            '<div class="citeqa-notfound" role="status">'
            f"<strong>Not found in the documents.</strong> {text}</div>"
        )
    hits = {hit.chunk.id: hit for hit in answer.hits}
    cards = "".join(_citation_card(c, hits.get(c.chunk_id), turn) for c in answer.citations)
    warnings = "".join(
        f'<div class="citeqa-warning">{html.escape(w)}</div>' for w in answer.warnings
    )
    sources = f'<div class="citeqa-sources">{cards}</div>' if cards else ""
    resolved = resolved_html(answer.resolved_question)
    return f'<div class="citeqa-message">{resolved}{body}{warnings}{sources}</div>'


def first_line(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The opening of a passage, to tell passages apart before opening one."""
    line = " ".join(text.split("\n", 1)[0].split())
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0] + " …"


def hits_html(hits: Sequence[Hit], turn: int, resolved: str | None = None) -> str:
    """The chat message of a search-only turn: every passage as a closed card showing its
    title, pages and first line; opened, the whole passage and links to its pages."""
    searched = resolved_html(resolved)
    if not hits:
        return (
            f'<div class="citeqa-message">{searched}<div class="citeqa-notfound" role="status">'
            "<strong>No passages found.</strong></div></div>"
        )
    cards = [
        _card(
            _card_id(turn, hit.rank),
            f"#{hit.rank}",
            hit.chunk.title,
            _where(hit.chunk),
            _escape(hit.chunk.text),
            note=rank_note(hit),
            preview=first_line(hit.chunk.text),
            footer=page_links_html(hit.chunk.doc_id, hit.chunk.pages),
        )
        for hit in hits
    ]
    return (
        f'<div class="citeqa-message">{searched}'
        f'<div class="citeqa-sources">{"".join(cards)}</div></div>'
    )


def error_html(message: str) -> str:
    """A chat message saying why a question could not be asked (the conversation stays)."""
    return (
        '<div class="citeqa-message"><div class="citeqa-error" role="alert">'
        f"<strong>Could not ask that.</strong> {_escape(message)}</div></div>"
    )


def _quote_block(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def conversation_markdown(turns: Sequence[Turn]) -> str:
    """The conversation as Markdown: questions, answers, and each citation with its quote."""
    parts = ["# citeqa conversation"]
    for turn in turns:
        parts.append(f"## Q: {turn.question}")
        resolved = turn.answer.resolved_question if turn.answer is not None else turn.resolved
        if resolved:
            parts.append(f"*Searched for:* {resolved}")
        if turn.answer is not None:
            answer = turn.answer
            parts.append(answer.text if answer.found else f"**Not found.** {answer.text}")
            if answer.citations:
                parts.append("**Sources**")
                parts.extend(
                    f"[{c.n}] {c.label}\n\n"
                    + (markdown_table(c.table) if c.table else _quote_block(c.quote))
                    for c in answer.citations
                )
        else:
            parts.append("**Passages**" if turn.hits else "**No passages found.**")
            parts.extend(
                f"{hit.rank}. {hit.chunk.label}\n\n{_quote_block(hit.chunk.text)}"
                for hit in turn.hits
            )
    return "\n\n".join(parts) + "\n"
