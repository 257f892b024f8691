"""The chat's named endpoints driven by Gradio's own client, ``gradio_client``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from qa import Engine
from tests.serving import serving_app
from ui.server import build_server

FIGHTERS = "How many fighter aircraft does the Air Force fly?"
DOC = "valdoria-defence-white-paper-2024"


@pytest.fixture
def client(engine: Engine, upload_dir: Path) -> Iterator[Client]:
    with serving_app(build_server(engine, upload_dir=upload_dir)) as url:
        client = Client(f"{url}/", verbose=False)
        yield client
        client.close()


def test_the_api_page_lists_only_the_named_endpoints(client: Client) -> None:
    info = client.view_api(return_format="dict", print_info=False)
    assert list(info["named_endpoints"]) == ["/ask", "/search", "/compare", "/documents"]
    assert not info["unnamed_endpoints"]
    ask = info["named_endpoints"]["/ask"]["parameters"]
    assert [p["parameter_name"] for p in ask] == ["question", "docs", "k"]
    # The chat's own events are out of the client's reach.
    for internal in ("/respond", "/document_views", "/add_files"):
        with pytest.raises(ValueError, match="Cannot find a function"):
            client.predict(api_name=internal)


def test_ask_answers_with_its_citations(client: Client, engine: Engine) -> None:
    answer = client.predict(FIGHTERS, api_name="/ask")
    expected = engine.ask(FIGHTERS)
    assert answer["text"] == expected.text and answer["found"] is True
    assert [(c["pages"], c["quote"]) for c in answer["citations"]] == [
        (list(c.pages), c.quote) for c in expected.citations
    ]


def test_search_and_documents(client: Client) -> None:
    (document,) = client.predict(api_name="/documents")["documents"]
    assert document["doc_id"] == DOC
    found = client.predict("cyber command", 3, [DOC], api_name="/search")
    assert 1 <= len(found["hits"]) <= 3
    assert {h["chunk"]["doc_id"] for h in found["hits"]} == {DOC}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(("  ",), "the question is empty"), ((FIGHTERS, ["atlantis"]), "unknown document")],
)
def test_bad_input_is_an_app_error_with_the_reason(
    client: Client, arguments: tuple[object, ...], message: str
) -> None:
    with pytest.raises(AppError, match=message):
        client.predict(*arguments, api_name="/ask")


def test_compare_needs_two_documents(client: Client) -> None:
    with pytest.raises(AppError, match="2 to 4"):
        client.predict(FIGHTERS, [DOC], api_name="/compare")
