"""OpenAI-compatible chat under ``/v1``: ``GET /v1/models`` and ``POST /v1/chat/completions``.

Any OpenAI client or chat front end can ask the index: the messages become the question (the
last user message) and the conversation (the earlier ones), which the engine's resolver reads
as it reads the chat's. The answer's text keeps its ``[n]`` markers and ends with a
"Sources" list (``qa.integrations.sources``) so that a client showing only the message still
shows them; the response also carries a top-level ``citations`` array (on the last chunk when
streamed), with the answer's ``confidence``, ``found`` and ``short``.

Errors have OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``, with the
statuses of ``/api``; the credentials are those of ``/api``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from qa import Answer, Citation, answer_with_sources
from qa.errors import InvalidQuestion

if TYPE_CHECKING:
    from qa import Engine

PREFIX = "/v1"
MODEL = "citeqa"
# Questions are capped at max_query_chars; this bounds the conversation sent with them.
MAX_BODY_BYTES = 1024 * 1024
_ERROR_TYPES = {
    401: "authentication_error",
    404: "not_found_error",
    500: "server_error",
    502: "server_error",
    503: "server_error",
}
# How many characters of the answer each streamed chunk carries.
_STREAM_PIECE = 80


class ChatMessage(BaseModel):
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text; of a list of parts, the text parts joined."""
        if isinstance(self.content, list):
            return "".join(
                str(part.get("text", "")) for part in self.content if part.get("type") == "text"
            )
        return self.content or ""


class ChatRequest(BaseModel):
    # OpenAI's other options (temperature, max_tokens, ...) have no meaning for quoted
    # answers: they are accepted and left alone, as other compatible servers do.
    model_config = ConfigDict(extra="ignore")

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    docs: list[str] | None = Field(
        default=None, description="citeqa's own: only these document ids (extra_body)."
    )


def openai_error(status: int, message: str, code: str | None = None) -> JSONResponse:
    """An error as OpenAI's clients read it."""
    kind = _ERROR_TYPES.get(status, "invalid_request_error")
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status)


def is_openai_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def citation_record(citation: Citation) -> dict[str, object]:
    return {
        "n": citation.n,
        "document": citation.doc_id,
        "title": citation.title,
        "pages": list(citation.pages),
        "quote": citation.quote,
        "label": citation.label,
        "passage_id": citation.chunk_id,
    }


def _question_and_history(messages: list[ChatMessage]) -> tuple[str, list[str]]:
    """The last user message is the question; the user's earlier messages are the history
    (the resolver needs the questions; the answers' text adds nothing it reads)."""
    last = messages[-1]
    if last.role != "user":
        raise InvalidQuestion(f"the last message must be the user's, not {last.role!r}")
    history = [m.text() for m in messages[:-1] if m.role == "user" and m.text().strip()]
    return last.text(), history


def _answer_fields(answer: Answer) -> dict[str, object]:
    return {
        "citations": [citation_record(c) for c in answer.citations],
        "found": answer.found,
        "confidence": answer.confidence,
        "short": answer.short,
    }


def _completion(answer: Answer, ident: str, created: int) -> dict[str, object]:
    return {
        "id": ident,
        "object": "chat.completion",
        "created": created,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer_with_sources(answer)},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        **_answer_fields(answer),
    }


def _chunks(answer: Answer, ident: str, created: int) -> Iterator[str]:
    """Server-sent events: the role, the text in pieces, then the citations and ``[DONE]``."""

    def event(delta: dict[str, object], finish: str | None, **extra: object) -> str:
        chunk = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }
        return f"data: {json.dumps(chunk)}\n\n"

    yield event({"role": "assistant", "content": ""}, None)
    text = answer_with_sources(answer)
    for start in range(0, len(text), _STREAM_PIECE):
        yield event({"content": text[start : start + _STREAM_PIECE]}, None)
    yield event({}, "stop", **_answer_fields(answer))
    yield "data: [DONE]\n\n"


def _refuse_large_bodies(app: FastAPI) -> None:
    @app.middleware("http")
    async def refuse(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.method == "POST" and is_openai_path(request.url.path):
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_BODY_BYTES:
                return openai_error(413, f"the request is larger than {MAX_BODY_BYTES} bytes")
        return await call_next(request)


def add_openai_routes(app: FastAPI, engine: Engine, dependencies: Sequence[Any]) -> None:
    """The ``/v1`` routes on ``app``, behind ``dependencies`` (``/api``'s credentials)."""
    _refuse_large_bodies(app)
    router = APIRouter(prefix=PREFIX, dependencies=list(dependencies))

    @router.get("/models", summary="The one model: citeqa")
    def models() -> dict[str, object]:
        card = {"id": MODEL, "object": "model", "created": 0, "owned_by": "citeqa"}
        return {"object": "list", "data": [card]}

    @router.post("/chat/completions", summary="A cited answer, OpenAI's way", response_model=None)
    def chat(request: ChatRequest) -> dict[str, object] | Response:
        if request.model != MODEL:
            message = f"the model {request.model!r} does not exist; use {MODEL!r}"
            return openai_error(404, message, code="model_not_found")
        question, history = _question_and_history(request.messages)
        # Answered before the stream starts: a bad question is then a 4xx, not a broken
        # stream, and the answer is not written word by word anyway.
        answer = engine.ask(question, docs=request.docs, history=history)
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if request.stream:
            return StreamingResponse(
                _chunks(answer, ident, created), media_type="text/event-stream"
            )
        return _completion(answer, ident, created)

    app.include_router(router)
