"""The JSON API under ``/api``: routes that hand requests to the shared engine.

Every error is ``{"error": message}``: 400 for a bad question or ``k``, 404 for an unknown
document, 413/415 for refused uploads (413 also for oversized feedback), 422 for malformed
requests or unreadable files, 502 when the configured language model fails, 503 while another
process writes to the index (under ``/v1``, the OpenAI-compatible chat of
``ui.openai_api``, the same statuses in OpenAI's error shape). Only
citeqa's own errors (``qa.errors``) say what went wrong; anything else is a bug, logged in full
and answered with a plain 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from pydantic import BaseModel, Field

from qa import authorized, challenge, turn_from_json
from qa.errors import (
    CiteqaError,
    FeedbackTooLarge,
    IndexBusy,
    IngestError,
    InvalidQuestion,
    LanguageModelError,
    UnknownDocument,
)
from ui.api_analyst import add_analyst_routes
from ui.examples import drop_examples
from ui.flows import index_uploads, remove_document
from ui.openai_api import add_openai_routes, is_openai_path, openai_error
from ui.uploads import UploadRejected, save_upload

if TYPE_CHECKING:
    from qa import Engine

logger = logging.getLogger(__name__)


class AskRequest(BaseModel):
    question: str = Field(description="The question, in plain words.")
    k: int | None = Field(default=None, description="Passages to consider (1-100).")
    docs: list[str] | None = Field(
        default=None, description="Restrict to these document ids (default: all documents)."
    )
    mode: str | None = Field(
        default=None,
        description="'extractive' or 'generative' (needs a configured language model).",
    )
    history: list[str | dict[str, Any]] | None = Field(
        default=None,
        description=(
            "Earlier turns of the conversation, oldest first: question strings, or the answer "
            "objects this route returned. A follow-up ('and the Navy?') is then searched as "
            "a self-contained question, given back as resolved_question."
        ),
    )


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _error_for(request: Request, status: int, message: str) -> JSONResponse:
    """``/api``'s error shape, or OpenAI's under ``/v1`` (its clients read only that)."""
    if is_openai_path(request.url.path):
        return openai_error(status, message)
    return _error(status, message)


# The HTTP status of each error a client can cause or wait out; the first match wins.
_STATUS: tuple[tuple[type[CiteqaError], int], ...] = (
    (FeedbackTooLarge, 413),
    (UnknownDocument, 404),
    (InvalidQuestion, 400),
    (IngestError, 400),
    (IndexBusy, 503),
    (LanguageModelError, 502),
)
INTERNAL_ERROR = "internal error; the server log has the details"


# Room for the multipart boundaries and part headers around the file itself.
_MULTIPART_OVERHEAD = 64 * 1024
_BASIC = HTTPBasic(realm="citeqa", auto_error=False)
_BEARER = HTTPBearer(auto_error=False)


class _Guard:
    """Route dependency: the HTTP basic login or the bearer token must match (``qa.access``).

    The two schemes are declared as dependencies so that the API page lists them; the check
    itself is the one ``citeqa mcp --http`` makes.
    """

    def __init__(self, login: tuple[str, str] | None, token: str | None) -> None:
        self.login = login
        self.token = token

    def __call__(
        self,
        request: Request,
        _basic: Annotated[HTTPBasicCredentials | None, Depends(_BASIC)],
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    ) -> None:
        if not authorized(request.headers.get("authorization"), self.login, self.token):
            raise HTTPException(
                status_code=401,
                detail="wrong or missing credentials",
                headers={"WWW-Authenticate": challenge(self.login, self.token)},
            )


def _refuse_large_uploads(app: FastAPI, limit: int) -> None:
    @app.middleware("http")
    async def refuse_large_bodies(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # The multipart parser spools a whole upload to a temp file before the route sees it,
        # so an oversized body is refused from its declared length, before it is read.
        if request.method == "POST" and request.url.path == "/api/documents":
            length = request.headers.get("content-length", "")
            if not length.isdigit():
                return _error(411, "uploads must declare their Content-Length")
            if int(length) > limit + _MULTIPART_OVERHEAD:
                return _error(413, f"the file is larger than the upload limit of {limit} bytes")
        return await call_next(request)


def _answer_errors_in_json(app: FastAPI) -> None:
    @app.exception_handler(CiteqaError)
    async def citeqa_error(request: Request, error: CiteqaError) -> JSONResponse:
        status = next((code for kind, code in _STATUS if isinstance(error, kind)), None)
        if status is None:
            # A damaged index or a missing model: the operator's to fix, not the client's.
            logger.error("%s %s failed", request.method, request.url.path, exc_info=error)
            return _error_for(request, 500, INTERNAL_ERROR)
        return _error_for(request, status, str(error))

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> JSONResponse:
        # Starlette logs the traceback after this answer; the client learns nothing of it.
        return _error_for(request, 500, INTERNAL_ERROR)

    @app.exception_handler(UploadRejected)
    async def rejected(request: Request, error: UploadRejected) -> JSONResponse:
        return _error_for(request, error.status, error.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        return _error_for(request, 422, problems or "invalid request")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        response = _error_for(request, error.status_code, str(error.detail))
        response.headers.update(error.headers or {})
        return response


def _question_routes(router: APIRouter, engine: Engine) -> None:
    @router.get("/health", summary="Liveness and index size")
    def health() -> dict[str, object]:
        documents = engine.documents()
        return {
            "status": "ok",
            "documents": len(documents),
            "chunks": sum(d.chunks for d in documents),
        }

    @router.get("/search", summary="Best passages for a query")
    def search(
        q: Annotated[str, Query(description="The query.")],
        k: Annotated[int | None, Query(description="Number of passages (1-100).")] = None,
        doc: Annotated[
            list[str] | None, Query(description="Restrict to this document id (repeatable).")
        ] = None,
    ) -> dict[str, object]:
        hits = engine.search(q, k=k, docs=doc or None)
        return {"query": q, "hits": [hit.to_dict() for hit in hits]}

    @router.post("/ask", summary="A cited answer to a question")
    def ask(request: AskRequest) -> dict[str, object]:
        history = [turn_from_json(item) for item in request.history or ()]
        answer = engine.ask(
            request.question,
            k=request.k,
            docs=request.docs,
            mode=request.mode,
            history=history,
        )
        return answer.to_dict()


def _document_routes(router: APIRouter, engine: Engine, upload_dir: Path, limit: int) -> None:
    @router.get("/documents", summary="The indexed documents")
    def documents() -> dict[str, object]:
        return {"documents": [d.to_dict() for d in engine.documents()]}

    @router.post("/documents", status_code=201, summary="Upload a file and index it")
    def upload(
        file: Annotated[UploadFile, File(description="A .txt .md .pdf .html .htm .docx or .jsonl")],
    ) -> dict[str, object]:
        saved = save_upload(file.file, file.filename or "", upload_dir, limit)
        summary = index_uploads(engine, [saved], upload_dir)
        if summary.errors and not (summary.added or summary.updated or summary.unchanged):
            reasons = "; ".join(error.reason for error in summary.errors)
            raise HTTPException(status_code=422, detail=f"{file.filename}: {reasons}")
        ids = {*summary.added, *summary.updated, *summary.unchanged}
        # The user's own first document replaces the invented example, as in the chat.
        dropped = drop_examples(engine)
        return {
            "summary": summary.to_dict(),
            "documents": [d.to_dict() for d in engine.documents() if d.doc_id in ids],
            "removed_examples": [d.doc_id for d in dropped],
        }

    @router.delete("/documents/{doc_id:path}", summary="Remove a document from the index")
    def remove(doc_id: str) -> dict[str, object]:
        summary = remove_document(engine, doc_id, upload_dir)
        return {"removed": doc_id, "summary": summary.to_dict()}


def build_api(
    engine: Engine,
    *,
    upload_dir: Path,
    upload_limit: int,
    auth: tuple[str, str] | None = None,
    api_token: str | None = None,
) -> FastAPI:
    """A FastAPI app with the routes under ``/api``, the OpenAI-compatible chat under ``/v1``
    (``ui.openai_api``) and its OpenAPI page at ``/docs``.

    Uploads are saved under ``upload_dir`` and refused beyond ``upload_limit`` bytes (or the
    engine's ``max_file_bytes`` if smaller). With ``auth`` and/or ``api_token`` every route
    needs HTTP basic with that login or ``Authorization: Bearer <api_token>``.
    """
    limit = min(upload_limit, engine.settings.max_file_bytes)
    guarded = bool(auth or api_token)
    # FastAPI's own schema pages take no dependencies: with credentials they are added below.
    app = FastAPI(
        title="citeqa",
        description="Question answering over long documents with exact page citations.",
        version="0.1.0",
        docs_url=None if guarded else "/docs",
        redoc_url=None if guarded else "/redoc",
        openapi_url=None if guarded else "/openapi.json",
    )
    _refuse_large_uploads(app, limit)
    _answer_errors_in_json(app)
    dependencies = [Depends(_Guard(auth, api_token))] if guarded else []
    router = APIRouter(prefix="/api", dependencies=dependencies)
    _question_routes(router, engine)
    _document_routes(router, engine, upload_dir, limit)
    add_analyst_routes(router, engine)
    app.include_router(router)
    add_openai_routes(app, engine, dependencies)
    if guarded:
        app.include_router(_schema_routes(app, dependencies))
    return app


def _schema_routes(app: FastAPI, dependencies: list[Any]) -> APIRouter:
    """``/openapi.json``, ``/docs`` and ``/redoc`` behind the API's credentials."""
    router = APIRouter(dependencies=dependencies, include_in_schema=False)

    @router.get("/openapi.json")
    def schema() -> JSONResponse:
        return JSONResponse(app.openapi())

    @router.get("/docs")
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="citeqa API")

    @router.get("/redoc")
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="citeqa API")

    return router
