"""The citations that reach every client are the engine's own: the same pages and quotes
through the OpenAI-compatible chat (plain and streamed), Gradio's ``/ask``, the MCP ``ask``
tool and, for the passages they quote, the LangChain retriever."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from gradio_client import Client as GradioClient
from mcp import Client as McpClient

from qa import Engine
from qa.integrations.langchain import CiteqaRetriever
from qa.integrations.mcp_http import http_app
from tests.serving import free_port, serving_app
from ui.examples import EXAMPLE_DIR
from ui.server import build_server

QUESTIONS = [
    "How many fighter aircraft does the Air Force fly?",
    "What share of gross domestic product is the 2024 defence budget?",
    "How large is the Defence Innovation Fund?",
    "When was the Defence Cyber Command established?",
    "How long may procurement contracts last under the procurement law?",
]
Cited = list[tuple[list[int], str]]


def _expected(engine: Engine, question: str) -> Cited:
    return [(list(c.pages), c.quote) for c in engine.ask(question).citations]


def _cited(citations: list[dict[str, Any]]) -> Cited:
    return [(c["pages"], c["quote"]) for c in citations]


def _through_openai(url: str, token: str, question: str) -> tuple[Cited, Cited]:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=token, max_retries=0)
    messages = [{"role": "user", "content": question}]
    plain = client.chat.completions.create(model="citeqa", messages=messages)
    streamed = list(client.chat.completions.create(model="citeqa", messages=messages, stream=True))
    return _cited(plain.model_extra["citations"]), _cited(streamed[-1].model_extra["citations"])


def test_every_client_gets_the_engines_pages_and_quotes(engine: Engine, upload_dir: Path) -> None:
    expected = {q: _expected(engine, q) for q in QUESTIONS}
    assert sum(bool(cited) for cited in expected.values()) >= 4
    with (
        serving_app(build_server(engine, upload_dir=upload_dir, api_token="tok")) as url,
        serving_app(http_app(engine)) as mcp_url,
    ):
        gradio = GradioClient(f"{url}/", verbose=False, auth=("analyst", "tok"))

        async def mcp_asks() -> list[Any]:
            async with McpClient(f"{mcp_url}/mcp") as client:
                return [await client.call_tool("ask", {"question": q}) for q in QUESTIONS]

        through_mcp = asyncio.run(mcp_asks())
        for question, mcp_result in zip(QUESTIONS, through_mcp, strict=True):
            plain, streamed = _through_openai(url, "tok", question)
            assert plain == streamed == expected[question], question
            answer = gradio.predict(question, api_name="/ask")
            assert _cited(answer["citations"]) == expected[question], question
            assert _cited(mcp_result.structured_content["citations"]) == expected[question]
            passages = CiteqaRetriever(engine=engine, k=engine.settings.answer_passages).invoke(
                question
            )
            by_id = {d.id: d.metadata for d in passages}
            for citation in engine.ask(question).citations:
                assert set(citation.pages) <= set(by_id[citation.chunk_id]["pages"])


@pytest.fixture(scope="module")
def real_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("served") / "index"
    with Engine.open(index) as engine:
        engine.add([EXAMPLE_DIR])
    return index


@pytest.fixture(scope="module")
def citeqa_serve(real_index: Path) -> Iterator[str]:
    """``citeqa serve`` itself, started as a user starts it, with a token."""
    port = free_port()
    command = ["serve", "--index", str(real_index), "--port", str(port), "--api-token", "tok"]
    process = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", *command],
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    token = {"Authorization": "Bearer tok"}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/v1/models", headers=token).is_success:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("citeqa serve did not start")
            time.sleep(0.2)
        yield url
    finally:
        # Gradio's open event streams hold a graceful shutdown for seconds; nothing is
        # written to the index, so the server need not wait for them.
        process.kill()
        process.wait(timeout=30)


@pytest.mark.model
def test_a_running_citeqa_serve_gives_openai_and_gradio_clients_the_engines_citations(
    citeqa_serve: str, real_index: Path
) -> None:
    gradio = GradioClient(f"{citeqa_serve}/", verbose=False, auth=("analyst", "tok"))
    with Engine.open(real_index, create=False) as engine:
        for question in QUESTIONS[:3]:
            expected = _expected(engine, question)
            assert expected, question
            plain, streamed = _through_openai(citeqa_serve, "tok", question)
            assert plain == streamed == expected, question
            answer = gradio.predict(question, api_name="/ask")
            assert _cited(answer["citations"]) == expected, question
