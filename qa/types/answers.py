"""What an answer returns: ``Answer`` and its ``Citation``s."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qa.types.chunks import Hit
from qa.types.documents import PARAGRAPH
from qa.types.labels import block_name, markdown_table, source_label, table_rows


@dataclass(frozen=True)
class Citation:
    """``[n]`` in an answer: ``quote`` occurs verbatim in the chunk ``chunk_id`` on ``pages``.

    Fields:

    - ``n``: the number of the ``[n]`` marker in ``Answer.text``.
    - ``doc_id``, ``title``: the document quoted (its id, as ``Engine.documents`` lists it,
      and its display title).
    - ``pages``: the pages the quote sits on, narrowed from the chunk's pages when the quote
      is on fewer of them (``label`` names them).
    - ``quote``: the words quoted, verbatim from the chunk (a table's quote is its matching
      rows, as the ``table`` field shows them).
    - ``chunk_id``: the chunk (``Chunk.id``) the quote comes from.
    - ``section``: the nearest heading above the quote, or None.
    - ``passage``: the whole text of that chunk, for context around the quote.
    - ``kind``: the kind of block the chunk was cut from (``BLOCK_KINDS``: ``paragraph``,
      ``table``, ``figure``, ``footnote``, ...).
    - ``block_label``: the printed label of a table or figure ("Chart 6-7") or a footnote's
      number; None for prose. It goes into ``label``: "2020 Defence White Paper, Chart 6-7,
      p. 243".
    - ``table``: for a table, the header row then the rows quoted, each a tuple of cells;
      empty for prose. ``to_dict`` gives it as a Markdown table.
    """

    n: int
    doc_id: str
    title: str
    pages: tuple[int, ...]
    quote: str
    chunk_id: str = ""
    section: str | None = None
    passage: str = ""
    kind: str = PARAGRAPH
    block_label: str | None = None
    table: tuple[tuple[str, ...], ...] = ()

    @property
    def label(self) -> str:
        """Human form used in answers: ``2020 Defence White Paper, p. 232``, or for a table or
        figure ``2020 Defence White Paper, Chart 6-7, p. 243``."""
        name = block_name(self.kind, self.block_label)
        return source_label(self.title, self.pages, self.section, name)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Citation:
        """The inverse of ``to_dict`` (``label`` is derived and ignored)."""
        return cls(
            n=int(data["n"]),
            doc_id=str(data["doc_id"]),
            title=str(data.get("title", "")),
            pages=tuple(int(p) for p in data.get("pages") or ()),
            quote=str(data.get("quote", "")),
            chunk_id=str(data.get("chunk_id", "")),
            section=data.get("section"),
            passage=str(data.get("passage", "")),
            kind=str(data.get("kind") or PARAGRAPH),
            block_label=data.get("block_label"),
            table=table_rows(str(data.get("table") or "")),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "title": self.title,
            "pages": list(self.pages),
            "quote": self.quote,
            "chunk_id": self.chunk_id,
            "section": self.section,
            "passage": self.passage,
            "kind": self.kind,
            "block_label": self.block_label,
            "table": markdown_table(self.table) if self.table else None,
            "label": self.label,
        }


# A calibrated confidence below this means an answer is more likely wrong than right.
SURE_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Answer:
    """``resolved_question`` is what was searched when the question leaned on earlier turns
    (None when the question was searched as asked). ``short`` is the phrase that answers
    ("300,000"), always a slice of a citation's quote; ``missing`` says what the
    passages lack when ``found`` is False ("no passage mentions Atlantis"). ``confidence``
    in [0, 1] is the calibrated probability that the answer holds the fact asked for (of
    answers at 0.8, about 80% do); None where nothing estimated it (a language model's answer).
    """

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    found: bool = True
    hits: tuple[Hit, ...] = ()
    mode: str = "extractive"
    warnings: tuple[str, ...] = field(default=())
    resolved_question: str | None = None
    short: str | None = None
    missing: str | None = None
    confidence: float | None = None

    @property
    def tentative(self) -> bool:
        """Found, but more likely wrong than right: shown as a possible answer, not in bold."""
        return self.found and self.confidence is not None and self.confidence < SURE_CONFIDENCE

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        """An answer as ``to_dict`` gave it, e.g. sent back by a client as conversation
        history; hits are not read back (only the question, text and citations matter)."""
        return cls(
            question=str(data["question"]),
            text=str(data.get("text", "")),
            citations=tuple(Citation.from_dict(c) for c in data.get("citations") or ()),
            found=bool(data.get("found", True)),
            mode=str(data.get("mode", "extractive")),
            warnings=tuple(str(w) for w in data.get("warnings") or ()),
            resolved_question=data.get("resolved_question"),
            short=data.get("short"),
            missing=data.get("missing"),
            confidence=data.get("confidence"),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "question": self.question,
            "resolved_question": self.resolved_question,
            "text": self.text,
            "short": self.short,
            "found": self.found,
            "missing": self.missing,
            "confidence": self.confidence,
            "tentative": self.tentative,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
            "hits": [h.to_dict() for h in self.hits],
            "warnings": list(self.warnings),
        }
