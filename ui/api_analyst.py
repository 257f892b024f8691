"""The API routes for analysts: the collection overview, whole pages, comparisons, feedback.

Added to the ``/api`` router by ``ui.api.build_api``; errors follow its rules (400 for a bad
question, 404 for an unknown document or page).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote as url_quote

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from qa import DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS, Answer
from qa.errors import InvalidQuestion, UnknownDocument

if TYPE_CHECKING:
    from qa import Engine

logger = logging.getLogger(__name__)


class CompareRequest(BaseModel):
    question: str = Field(description="The question, asked of each document on its own.")
    docs: list[str] | None = Field(
        default=None,
        description="2-4 document ids; default: the documents the question names "
        "('the 2018 and 2020 white papers').",
    )
    k: int | None = Field(default=None, description="Passages to consider (1-100).")
    mode: str | None = Field(default=None, description="'extractive' or 'generative'.")


class FeedbackRequest(BaseModel):
    answer: dict[str, Any] = Field(description="The answer object /api/ask returned.")
    helpful: bool = Field(description="Thumbs up (true) or down (false).")
    note: str | None = Field(default=None, description="Optional free text.")


def add_analyst_routes(router: APIRouter, engine: Engine) -> None:
    """Register the overview, page, compare and feedback routes on ``router``."""
    _page_routes(router, engine)

    @router.get("/overview", summary="The collection in figures, and suggested questions")
    def overview(
        n: Annotated[
            int, Query(ge=1, le=MAX_SUGGESTIONS, description="Number of suggestions.")
        ] = DEFAULT_SUGGESTIONS,
    ) -> dict[str, object]:
        return engine.overview(n).to_dict()

    @router.post("/compare", summary="One answer per document, side by side")
    def compare(request: CompareRequest) -> dict[str, object]:
        answers = engine.compare(request.question, request.docs, k=request.k, mode=request.mode)
        return {
            "question": request.question,
            "documents": list(answers),
            "answers": {doc_id: answer.to_dict() for doc_id, answer in answers.items()},
        }

    @router.post("/feedback", status_code=201, summary="A thumbs up or down on an answer")
    def feedback(request: FeedbackRequest) -> dict[str, object]:
        try:
            answer = Answer.from_dict(request.answer)
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidQuestion(f"answer: not an answer object ({error})") from error
        saved = engine.feedback.record(answer, helpful=request.helpful, note=request.note)
        return saved.to_dict()

    @router.get(
        "/feedback",
        summary="Every verdict as JSON Lines",
        response_class=Response,
    )
    def feedback_export() -> Response:
        lines = (json.dumps(item.to_dict(), ensure_ascii=False) + "\n" for item in engine.feedback)
        return Response("".join(lines), media_type="application/x-ndjson")


def _page_routes(router: APIRouter, engine: Engine) -> None:
    @router.get(
        "/documents/{doc_id:path}/pages/{number}",
        summary="A page in full, with the ranges showing a quote",
    )
    def page(
        doc_id: str,
        number: int,
        quote: Annotated[str | None, Query(description="Mark where this quote is.")] = None,
    ) -> dict[str, object]:
        view = engine.page(doc_id, number, quote=quote)
        image = f"/api/documents/{url_quote(doc_id)}/pages/{number}/image"
        return {**view.to_dict(), "image_url": image if view.has_image else None}

    @router.get(
        "/documents/{doc_id:path}/pages/{number}/image",
        summary="A PDF page drawn as PNG",
        response_class=Response,
    )
    def page_image(doc_id: str, number: int) -> Response:
        picture = engine.page_image(doc_id, number)
        if picture is None:
            raise UnknownDocument(f"page {number} of {doc_id!r} has no image")
        return Response(picture, media_type="image/png")
