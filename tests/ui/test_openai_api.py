"""``/v1`` driven by the official ``openai`` client against a running server, plain and
streamed, with OpenAI's own error shapes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from qa import Engine
from tests.serving import serving_app
from ui.server import build_server

FIGHTERS = "How many fighter aircraft does the Air Force fly?"
DOC = "valdoria-defence-white-paper-2024"


@pytest.fixture
def client(engine: Engine, upload_dir: Path) -> Iterator[openai.OpenAI]:
    with serving_app(build_server(engine, upload_dir=upload_dir, api_token="tok")) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="tok", max_retries=0)


def _ask(client: openai.OpenAI, question: str, **options: Any) -> Any:
    return client.chat.completions.create(
        model="citeqa", messages=[{"role": "user", "content": question}], **options
    )


def test_one_model_is_listed(client: openai.OpenAI) -> None:
    assert [model.id for model in client.models.list()] == ["citeqa"]


def test_the_answer_keeps_its_markers_and_ends_with_its_sources(
    client: openai.OpenAI, engine: Engine
) -> None:
    completion = _ask(client, FIGHTERS)
    content = completion.choices[0].message.content
    expected = engine.ask(FIGHTERS)
    assert content.startswith(expected.text)
    assert content.endswith(
        "Sources:\n[1] Valdoria Defence White Paper 2024, p. 16 "
        f"(doc {DOC}): “{expected.citations[0].quote}”"
    )
    extra = completion.model_extra
    (citation,) = extra["citations"]
    assert citation["n"] == 1 and citation["document"] == DOC and citation["pages"] == [16]
    assert citation["label"] == "Valdoria Defence White Paper 2024, p. 16"
    assert extra["found"] is True and extra["confidence"] == pytest.approx(expected.confidence)


def test_streamed_the_text_comes_in_pieces_and_the_citations_on_the_last_chunk(
    client: openai.OpenAI,
) -> None:
    plain = _ask(client, FIGHTERS)
    chunks = list(_ask(client, FIGHTERS, stream=True))
    pieces = [c.choices[0].delta.content or "" for c in chunks]
    assert len([p for p in pieces if p]) > 1
    assert "".join(pieces) == plain.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"] == plain.model_extra["citations"]


def test_earlier_messages_are_the_conversation(client: openai.OpenAI) -> None:
    first = _ask(client, FIGHTERS).choices[0].message.content
    completion = client.chat.completions.create(
        model="citeqa",
        messages=[
            {"role": "system", "content": "Answer from the documents."},
            {"role": "user", "content": FIGHTERS},
            {"role": "assistant", "content": first},
            {"role": "user", "content": [{"type": "text", "text": "and transport aircraft?"}]},
        ],
    )
    assert "eight transport aircraft" in completion.choices[0].message.content


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"messages": [{"role": "user", "content": " "}]}, openai.BadRequestError, "empty"),
        ({"messages": [{"role": "user", "content": "x" * 5000}]}, openai.BadRequestError, "limit"),
        (
            {"messages": [{"role": "user", "content": FIGHTERS}], "extra_body": {"docs": ["x"]}},
            openai.NotFoundError,
            "unknown document",
        ),
        (
            {"model": "gpt-5", "messages": [{"role": "user", "content": FIGHTERS}]},
            openai.NotFoundError,
            "does not exist",
        ),
        (
            {"messages": [{"role": "user", "content": "x" * 2_000_000}]},
            openai.APIStatusError,
            "larger than",
        ),
        (
            {"messages": [{"role": "assistant", "content": FIGHTERS}]},
            openai.BadRequestError,
            "must be the user's",
        ),
    ],
)
def test_bad_requests_get_openais_error_shape(
    client: openai.OpenAI, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    options.setdefault("model", "citeqa")
    with pytest.raises(error) as raised:
        client.chat.completions.create(**options)
    body = raised.value.body  # type: ignore[attr-defined]
    assert message in body["message"]
    assert body["type"] in ("invalid_request_error", "not_found_error")


def test_a_wrong_token_is_an_authentication_error(client: openai.OpenAI) -> None:
    wrong = openai.OpenAI(base_url=str(client.base_url), api_key="nope", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as raised:
        _ask(wrong, FIGHTERS)
    assert raised.value.body["type"] == "authentication_error"  # type: ignore[index]
