"""``citeqa mcp`` driven by the MCP SDK's own client: in process for the tools' behaviour,
over streamable HTTP behind a token, and over stdio as a desktop agent starts it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from qa import Document, Engine
from qa.integrations.mcp import build_server
from qa.integrations.mcp_http import http_app
from tests.fakes import fake_engine
from tests.serving import serving_app

EXAMPLE = Path(__file__).resolve().parents[3] / "ui" / "example"
DOC = "valdoria-defence-white-paper-2024"
QUERY = "Heron-class frigates, patrol vessels and mine countermeasure ships"
FIGHTERS = "How many fighter aircraft does the Air Force fly?"
NOTE = Document(
    id="harbour-note",
    title="Harbour Survey Note",
    text="The lighthouse keepers of Gullwick counted nineteen grey seals on the northern "
    "rocks during the spring survey. The Air Force flies no aircraft from the harbour.",
)
_T = TypeVar("_T")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with fake_engine(tmp_path_factory.mktemp("mcp") / "index", EXAMPLE) as engine:
        engine.add([NOTE])
        yield engine


def _with_client(server: Any, use: Callable[[Client], Awaitable[_T]]) -> _T:
    async def run() -> _T:
        async with Client(server) as client:
            return await use(client)

    return asyncio.run(run())


def _call(engine: Engine, tool: str, arguments: dict[str, Any]) -> Any:
    return _with_client(build_server(engine), lambda c: c.call_tool(tool, arguments))


def test_the_tools_are_listed_with_typed_inputs_and_output_schemas(engine: Engine) -> None:
    tools = _with_client(build_server(engine), lambda c: c.list_tools()).tools
    by_name = {tool.name: tool for tool in tools}
    assert set(by_name) == {"search", "ask", "get_page", "list_documents", "compare"}
    ask = by_name["ask"]
    assert ask.input_schema["required"] == ["question"]
    assert ask.input_schema["properties"]["question"]["type"] == "string"
    assert {"question", "docs", "history"} <= set(ask.input_schema["properties"])
    k = by_name["search"].input_schema["properties"]["k"]
    assert (k["type"], k["minimum"], k["maximum"]) == ("integer", 1, 100)
    citation = ask.output_schema["$defs"]["CitationOut"]["properties"]
    assert {"n", "doc_id", "title", "pages", "label", "quote", "passage_id"} <= set(citation)
    assert {"short", "confidence", "found", "citations"} <= set(ask.output_schema["properties"])


def test_ask_gives_citations_as_structured_content_and_as_readable_text(engine: Engine) -> None:
    result = _call(engine, "ask", {"question": FIGHTERS})
    assert not result.is_error
    answer = result.structured_content
    expected = engine.ask(FIGHTERS)
    assert answer["found"] is True and "[1]" in answer["text"]
    assert answer["confidence"] == pytest.approx(expected.confidence)
    first = answer["citations"][0]
    assert first["doc_id"] == DOC and 16 in first["pages"]
    assert "24 multirole fighter aircraft" in first["quote"]
    assert first["label"] == "Valdoria Defence White Paper 2024, p. 16"
    # A client that shows only the text still shows where each [n] comes from.
    (text,) = result.content
    assert "Sources:" in text.text
    assert f"[1] {first['label']} (doc {DOC}): “{first['quote']}”" in text.text


def test_a_followup_is_searched_with_the_history(engine: Engine) -> None:
    first = _call(engine, "ask", {"question": FIGHTERS}).structured_content
    result = _call(engine, "ask", {"question": "and the Navy?", "history": [first]})
    assert not result.is_error
    assert result.structured_content["resolved_question"]


def test_search_lists_passages_with_their_pages(engine: Engine) -> None:
    result = _call(engine, "search", {"query": QUERY, "k": 3, "docs": [DOC]})
    passages = result.structured_content["passages"]
    assert 1 <= len(passages) <= 3
    assert {p["doc_id"] for p in passages} == {DOC}
    assert "Heron-class frigates" in passages[0]["text"] and 15 in passages[0]["pages"]
    assert "Valdoria Defence White Paper 2024, p. 15" in result.content[0].text


def test_documents_pages_and_the_page_resource(engine: Engine) -> None:
    listed = _call(engine, "list_documents", {}).structured_content["documents"]
    assert {d["doc_id"] for d in listed} == {DOC, NOTE.id}
    quote = "The Air Force flies 24 multirole fighter aircraft"
    page = _call(engine, "get_page", {"doc_id": DOC, "page": 16, "quote": quote})
    shown = page.structured_content
    assert shown["page"] == 16 and shown["uri"] == f"citeqa://documents/{DOC}/pages/16"
    start, end = shown["highlights"][0]
    assert shown["text"][start:end].startswith("The Air Force flies 24")
    read = _with_client(build_server(engine), lambda c: c.read_resource(shown["uri"]))
    assert read.contents[0].text == shown["text"]


def test_compare_answers_each_document_on_its_own(engine: Engine) -> None:
    result = _call(engine, "compare", {"question": FIGHTERS, "docs": [DOC, NOTE.id]})
    columns = result.structured_content["columns"]
    assert [c["doc_id"] for c in columns] == [DOC, NOTE.id]
    for column in columns:
        assert all(c["doc_id"] == column["doc_id"] for c in column["answer"]["citations"])
    assert "## Valdoria Defence White Paper 2024" in result.content[0].text


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("ask", {"question": "  "}, "the question is empty"),
        ("ask", {"question": FIGHTERS, "docs": ["atlantis"]}, "unknown document"),
        ("ask", {"question": "x" * 5000}, "max_query_chars"),
        ("search", {"query": "frigates", "k": 0}, "greater than or equal to 1"),
        ("get_page", {"doc_id": DOC, "page": 999}, "has no page 999"),
        ("compare", {"question": FIGHTERS, "docs": [DOC]}, "2 to 4"),
    ],
)
def test_bad_input_is_a_tool_error_with_the_reason(
    engine: Engine, tool: str, arguments: dict[str, Any], message: str
) -> None:
    result = _call(engine, tool, arguments)
    assert result.is_error
    assert message in result.content[0].text


def _protocol_error(run: Callable[[], object]) -> MCPError:
    """The protocol error a client call ended with; the SDK raises it inside task groups."""
    with pytest.raises(BaseException) as raised:
        run()
    error: BaseException = raised.value
    while isinstance(error, BaseExceptionGroup):
        (error,) = error.exceptions
    assert isinstance(error, MCPError), error
    return error


def test_over_http_the_token_is_checked_and_errors_keep_the_protocols_shape(
    engine: Engine,
) -> None:
    with serving_app(http_app(engine, api_token="tok")) as url:
        refused = httpx.post(f"{url}/mcp", json={}, headers={"Authorization": "Bearer nope"})
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Bearer realm="citeqa"'

        def session(token: str, use: Callable[[Client], Awaitable[_T]]) -> _T:
            async def run() -> _T:
                headers = {"Authorization": f"Bearer {token}"}
                async with (
                    httpx2.AsyncClient(headers=headers) as http,
                    Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
                ):
                    return await use(client)

            return asyncio.run(run())

        result = session("tok", lambda c: c.call_tool("ask", {"question": FIGHTERS}))
        assert not result.is_error
        assert result.structured_content["citations"][0]["pages"] == [16]
        unknown = f"citeqa://documents/{DOC}/pages/999"
        missing = _protocol_error(lambda: session("tok", lambda c: c.read_resource(unknown)))
        assert missing.error.code == -32602 and "has no page 999" in missing.error.message
        _protocol_error(lambda: session("wrong", lambda c: c.list_tools()))


@pytest.mark.model
def test_citeqa_mcp_over_stdio_lists_tools_and_answers(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with Engine.open(index) as engine:
        engine.add([EXAMPLE])
        expected = engine.ask(FIGHTERS)
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "qa.cli", "mcp", "--index", str(index)]
    )

    async def session(client: Client) -> tuple[Any, Any]:
        return await client.list_tools(), await client.call_tool("ask", {"question": FIGHTERS})

    tools, result = _with_client(server, session)
    assert "ask" in {tool.name for tool in tools.tools}
    citations = result.structured_content["citations"]
    assert [(c["pages"], c["quote"]) for c in citations] == [
        (list(c.pages), c.quote) for c in expected.citations
    ]


def test_citeqa_mcp_refuses_a_public_bind_and_a_missing_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from qa import cli

    assert cli.main(["mcp", "--http", "--host", "0.0.0.0", "--index", str(tmp_path)]) == 2
    assert "without a login" in capsys.readouterr().err
    assert cli.main(["mcp", "--index", str(tmp_path / "none")]) == 2
    assert not (tmp_path / "none").exists()


def test_citeqa_mcp_http_passes_its_options_to_the_server(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa import cli

    calls: list[dict[str, object]] = []
    monkeypatch.setattr("qa.cli.integrations.open_engine", lambda args: engine)
    monkeypatch.setattr(engine, "close", lambda: None)
    monkeypatch.setattr(
        "qa.integrations.mcp_http.serve_http", lambda engine, **options: calls.append(options)
    )
    monkeypatch.setenv("CITEQA_API_TOKEN", "from-env")
    assert cli.main(["mcp", "--http", "--port", "9002", "--auth", "ann:pw"]) == 0
    assert calls == [
        {"host": "127.0.0.1", "port": 9002, "auth": ("ann", "pw"), "api_token": "from-env"}
    ]
