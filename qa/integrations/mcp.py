"""``citeqa mcp``: the engine as an MCP server, on the official ``mcp`` SDK (2.x, ``MCPServer``).

Tools ``search``, ``ask``, ``get_page``, ``list_documents`` and ``compare`` have typed input
schemas (from their signatures) and structured output (the pydantic models below, published
as each tool's output schema). Every result also carries a readable text block that keeps the
citations (``qa.integrations.sources``), for clients that show only text. Pages are also
resources, ``citeqa://documents/{doc_id}/pages/{n}``.

A client's mistake (empty question, unknown document, ``k`` out of range) is a tool result
with ``isError`` and citeqa's message, as MCP has tool errors reported; an unknown page read
as a resource is the protocol's "invalid params" error. stdio by default; ``--http`` serves
streamable HTTP (``qa.integrations.mcp_http``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from qa.analyst.conversation import turn_from_json
from qa.errors import CiteqaError, UnknownDocument
from qa.integrations.sources import answer_with_sources
from qa.types import Answer, Citation, Hit, pages_label

if TYPE_CHECKING:
    from qa.analyst.pages import PageView
    from qa.engine import Engine
    from qa.index.records import DocumentInfo

logger = logging.getLogger(__name__)

NAME = "citeqa"
PAGE_URI = "citeqa://documents/{doc_id}/pages/{n}"
INSTRUCTIONS = (
    "Answers from the indexed documents, each sentence quoted verbatim with an [n] marker "
    "and a citation naming its document and pages. Use ask for a question, search for "
    "passages, get_page to read a cited page whole, compare to ask several documents apart."
)
_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_T = TypeVar("_T")


class CitationOut(BaseModel):
    """One ``[n]`` marker of an answer: the words quoted, verbatim, and where they are."""

    n: int = Field(description="The number of the [n] marker in the answer text.")
    doc_id: str = Field(description="The document's id (as list_documents gives it).")
    title: str
    pages: list[int] = Field(description="The pages the quote sits on.")
    label: str = Field(description="How to cite it: 'Title, p. 16'.")
    quote: str = Field(description="The quoted words, verbatim from the page.")
    passage_id: str = Field(description="The passage (chunk) the quote comes from.")


class AskOut(BaseModel):
    question: str
    resolved_question: str | None = Field(
        description="What was searched, when the question leaned on the history or named "
        "a document; null when searched as asked."
    )
    text: str = Field(description="The answer, quoted sentences with [n] markers.")
    short: str | None = Field(description="The phrase that answers ('24'), when clear.")
    confidence: float | None = Field(
        description="Calibrated probability that the answer holds the fact asked for."
    )
    found: bool = Field(description="False when the documents do not say.")
    missing: str | None = Field(description="What the passages lack, when not found.")
    citations: list[CitationOut]


class PassageOut(BaseModel):
    rank: int
    score: float
    doc_id: str
    title: str
    pages: list[int]
    label: str
    section: str | None
    text: str
    passage_id: str


class SearchOut(BaseModel):
    query: str
    passages: list[PassageOut]


class PageOut(BaseModel):
    doc_id: str
    title: str
    page: int
    text: str = Field(description="The page as stored (what quotes are checked against).")
    highlights: list[list[int]] = Field(description="[start, end) of the quote in the text.")
    previous: int | None
    next: int | None
    uri: str


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    source: str | None
    pages: int
    chunks: int


class DocumentsOut(BaseModel):
    documents: list[DocumentOut]


class ColumnOut(BaseModel):
    doc_id: str
    title: str
    answer: AskOut


class CompareOut(BaseModel):
    question: str
    columns: list[ColumnOut]


def citation_out(citation: Citation) -> CitationOut:
    return CitationOut(
        n=citation.n,
        doc_id=citation.doc_id,
        title=citation.title,
        pages=list(citation.pages),
        label=citation.label,
        quote=citation.quote,
        passage_id=citation.chunk_id,
    )


def answer_out(answer: Answer) -> AskOut:
    return AskOut(
        question=answer.question,
        resolved_question=answer.resolved_question,
        text=answer.text,
        short=answer.short,
        confidence=answer.confidence,
        found=answer.found,
        missing=answer.missing,
        citations=[citation_out(c) for c in answer.citations],
    )


def _passage_out(hit: Hit) -> PassageOut:
    chunk = hit.chunk
    return PassageOut(
        rank=hit.rank,
        score=hit.score,
        doc_id=chunk.doc_id,
        title=chunk.title,
        pages=list(chunk.pages),
        label=chunk.label,
        section=chunk.section,
        text=chunk.text,
        passage_id=chunk.id,
    )


def page_uri(doc_id: str, number: int) -> str:
    return PAGE_URI.format(doc_id=doc_id, n=number)


def _page_out(view: PageView) -> PageOut:
    return PageOut(
        doc_id=view.doc_id,
        title=view.title,
        page=view.number,
        text=view.text,
        highlights=[list(span) for span in view.highlights],
        previous=view.previous,
        next=view.next,
        uri=page_uri(view.doc_id, view.number),
    )


def _document_out(document: DocumentInfo) -> DocumentOut:
    return DocumentOut(
        doc_id=document.doc_id,
        title=document.title,
        source=document.source,
        pages=document.pages,
        chunks=document.chunks,
    )


def _result(text: str, structured: BaseModel) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=structured.model_dump(mode="json"),
    )


def _citeqa_errors_as_tool_errors(call: Callable[[], _T]) -> _T:
    """citeqa's own errors are the client's to fix: said back as the tool's error result.
    Anything else is a bug the SDK logs and answers without detail."""
    try:
        return call()
    except CiteqaError as error:
        raise ToolError(str(error)) from error


def _answer_text(answer: Answer) -> str:
    if not answer.found:
        return answer.text
    lines = [f"Answer: {answer.short}"] if answer.short else []
    lines.append(answer_with_sources(answer))
    if answer.confidence is not None:
        lines.append(f"Confidence: {answer.confidence:.0%}")
    return "\n\n".join(lines)


def _search_text(hits: Sequence[Hit]) -> str:
    if not hits:
        return "No passages found."
    return "\n\n".join(
        f"[{h.rank}] {h.chunk.label} (doc {h.chunk.doc_id})\n{h.chunk.text}" for h in hits
    )


Question = Annotated[str, Field(description="The question, in plain words.")]
Docs = Annotated[
    list[str] | None,
    Field(description="Only these document ids (see list_documents); default: all."),
]


def build_server(engine: Engine) -> MCPServer:
    """The MCP server over ``engine``: its tools and the page resource."""
    server = MCPServer(NAME, instructions=INSTRUCTIONS, version="0.1.0", log_level="WARNING")
    for register in (
        _register_search,
        _register_ask,
        _register_get_page,
        _register_list_documents,
        _register_compare,
        _register_page_resource,
    ):
        register(server, engine)
    return server


def _register_search(server: MCPServer, engine: Engine) -> None:
    """The ``search`` tool: the best passages for a query."""

    @server.tool(annotations=_READ_ONLY)
    def search(
        query: Annotated[str, Field(description="What to look for.")],
        k: Annotated[int, Field(ge=1, le=100, description="How many passages.")] = 5,
        docs: Docs = None,
    ) -> Annotated[CallToolResult, SearchOut]:
        """The best passages for a query, each with its document, pages and text."""
        hits = _citeqa_errors_as_tool_errors(lambda: engine.search(query, k=k, docs=docs))
        found = SearchOut(query=query, passages=[_passage_out(h) for h in hits])
        return _result(_search_text(hits), found)


def _register_ask(server: MCPServer, engine: Engine) -> None:
    """The ``ask`` tool: a cited answer, with earlier turns for a follow-up."""

    @server.tool(annotations=_READ_ONLY)
    def ask(
        question: Question,
        docs: Docs = None,
        history: Annotated[
            list[str | dict[str, Any]] | None,
            Field(
                description="Earlier turns, oldest first: questions, or earlier ask results. "
                "A follow-up ('and the Navy?') is then searched as a whole question."
            ),
        ] = None,
    ) -> Annotated[CallToolResult, AskOut]:
        """A cited answer: quoted sentences with [n] markers, a short answer, a calibrated
        confidence and, for each marker, the document, pages and verbatim quote."""

        def answer() -> Answer:
            turns = [turn_from_json(item) for item in history or ()]
            return engine.ask(question, docs=docs, history=turns)

        answered = _citeqa_errors_as_tool_errors(answer)
        return _result(_answer_text(answered), answer_out(answered))


def _register_get_page(server: MCPServer, engine: Engine) -> None:
    """The ``get_page`` tool: a cited page whole."""

    @server.tool(annotations=_READ_ONLY)
    def get_page(
        doc_id: Annotated[str, Field(description="The document's id.")],
        page: Annotated[int, Field(description="The page number, as cited.")],
        quote: Annotated[
            str | None, Field(description="A quote to locate on the page (highlights).")
        ] = None,
    ) -> Annotated[CallToolResult, PageOut]:
        """A cited page whole, as stored, with where the quote sits on it."""
        view = _citeqa_errors_as_tool_errors(lambda: engine.page(doc_id, page, quote=quote))
        heading = f"{view.title}, {pages_label([view.number])} (doc {view.doc_id})"
        return _result(f"{heading}\n\n{view.text}", _page_out(view))


def _register_list_documents(server: MCPServer, engine: Engine) -> None:
    """The ``list_documents`` tool: the indexed documents."""

    @server.tool(annotations=_READ_ONLY)
    def list_documents() -> Annotated[CallToolResult, DocumentsOut]:
        """The indexed documents: id, title, pages and passages."""
        documents = _citeqa_errors_as_tool_errors(engine.documents)
        text = "\n".join(
            f"{d.doc_id}: {d.title} ({d.pages} pages, {d.chunks} passages)" for d in documents
        )
        listed = DocumentsOut(documents=[_document_out(d) for d in documents])
        return _result(text or "No documents are indexed.", listed)


def _register_compare(server: MCPServer, engine: Engine) -> None:
    """The ``compare`` tool: one question asked of each document on its own."""

    @server.tool(annotations=_READ_ONLY)
    def compare(
        question: Question,
        docs: Annotated[
            list[str] | None,
            Field(
                description="2-4 document ids; default: the documents the question names "
                "('the 2018 and 2020 white papers')."
            ),
        ] = None,
    ) -> Annotated[CallToolResult, CompareOut]:
        """One question asked of each document on its own: a cited answer per document, or
        not found where that document does not say."""

        def answers() -> tuple[dict[str, Answer], dict[str, str]]:
            titles = {d.doc_id: d.title for d in engine.documents()}
            return engine.compare(question, docs=docs), titles

        answered, titles = _citeqa_errors_as_tool_errors(answers)
        columns = [
            ColumnOut(doc_id=d, title=titles.get(d, d), answer=answer_out(a))
            for d, a in answered.items()
        ]
        text = "\n\n".join(
            f"## {titles.get(d, d)} (doc {d})\n{answer_with_sources(a)}"
            for d, a in answered.items()
        )
        return _result(text, CompareOut(question=question, columns=columns))


def _register_page_resource(server: MCPServer, engine: Engine) -> None:
    """The page resource: ``PAGE_URI`` read as stored."""

    @server.resource(PAGE_URI, name="page", mime_type="text/plain", title="A page of a document")
    def page_resource(doc_id: str, n: int) -> str:
        """Page n of document doc_id, as stored (what quotes are checked against)."""
        try:
            return engine.page(doc_id, n).text
        except UnknownDocument as error:
            raise ResourceNotFoundError(str(error)) from error


def serve_stdio(engine: Engine) -> None:
    """Answer on stdin/stdout until the client closes them."""
    build_server(engine).run()
