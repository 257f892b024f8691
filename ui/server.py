"""One web server: the Gradio chat at ``/`` and the JSON API under ``/api``, run by uvicorn."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from qa import API_TOKEN_ENV, announced, is_loopback, same_secret
from ui.api import build_api
from ui.app import CSS_PATH, HEAD, build_app
from ui.examples import EXAMPLE_DIR, drop_examples
from ui.exports import SWEEP_SECONDS, Exports
from ui.uploads import DEFAULT_UPLOAD_LIMIT
from ui.viewer import PAGE_LINK_SCRIPT

if TYPE_CHECKING:
    from qa import Encoder, Engine

logger = logging.getLogger(__name__)

UPLOADS = "uploads"
TOKEN_LOGIN_MESSAGE = "Sign in with any user name and the API token as the password."
# Gradio's file route fetches and relays any public http(s) URL it is given; the chat never needs
# that, and a shared server must not become a proxy.
_FILE_URL = re.compile(r"/file[=/][a-z][a-z0-9+.-]*:", re.IGNORECASE)


def token_login(token: str) -> Callable[[str, str], bool]:
    """The chat's login check when only an API token is set: any user name, the token as the
    password (compared in constant time)."""

    def check(user: str, password: str) -> bool:
        return same_secret(password, token)

    return check


async def _refuse_file_urls(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    if _FILE_URL.search(request.url.path):
        return JSONResponse({"error": "fetching URLs is disabled"}, status_code=403)
    return await call_next(request)


def _sweep_exports(app: FastAPI, exports: Exports) -> None:
    """While ``app`` runs, old exports are removed every ``SWEEP_SECONDS``; all at shutdown."""
    inner = app.router.lifespan_context

    async def sweep() -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            exports.sweep()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        task = asyncio.create_task(sweep())
        try:
            async with inner(app) as state:
                yield state
        finally:
            task.cancel()
            exports.close()

    app.router.lifespan_context = lifespan


def build_server(
    engine: Engine,
    *,
    upload_dir: Path,
    upload_limit: int = DEFAULT_UPLOAD_LIMIT,
    auth: tuple[str, str] | None = None,
    api_token: str | None = None,
) -> FastAPI:
    """The API app with the chat mounted at ``/``; ``auth`` guards both.

    ``api_token`` is a second way into ``/api`` (``Authorization: Bearer ...``); without
    ``auth`` it also guards the chat and Gradio's routes, whose login form then takes the token
    as its password, so that a token never leaves the same reads and writes open through
    Gradio. Gradio's file route is kept away from the index folder and from URLs.
    """
    upload_dir = upload_dir.resolve()
    upload_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    api = build_api(
        engine, upload_dir=upload_dir, upload_limit=upload_limit, auth=auth, api_token=api_token
    )
    api.middleware("http")(_refuse_file_urls)
    exports = Exports()
    _sweep_exports(api, exports)
    chat = build_app(engine, upload_dir=upload_dir, upload_limit=upload_limit, exports=exports)
    # Enough parallel answers for a few users; the engine serialises only index writes.
    chat.queue(default_concurrency_limit=4)
    # Gradio checks that a file named in an event was uploaded through it only once the
    # Blocks "has launched", which mount_gradio_app never sets: without this, any client
    # could make the Documents tab read and index any file the server can read.
    chat.has_launched = True
    return gr.mount_gradio_app(
        api,
        chat,
        path="/",
        auth=auth or (token_login(api_token) if api_token else None),
        auth_message=None if auth or not api_token else TOKEN_LOGIN_MESSAGE,
        # Gradio serves only its own temp and cache folders already; blocking the index too
        # keeps that true even if someone points GRADIO_TEMP_DIR or the cache inside it.
        blocked_paths=[str(engine.folder.resolve()), str(upload_dir)],
        max_file_size=min(upload_limit, engine.settings.max_file_bytes),
        footer_links=[],
        css_paths=[CSS_PATH],
        head=HEAD + PAGE_LINK_SCRIPT,
        mcp_server=False,
        ssr_mode=False,
    )


def open_for_serving(
    paths: Sequence[str | Path],
    index_dir: Path,
    *,
    model: str | Path | None = None,
    encoder: Encoder | None = None,
    backend: str | None = None,
    milvus_uri: str | None = None,
) -> Engine:
    """Open the index, add ``paths``; with neither paths nor documents, add the example pages,
    and once ``paths`` bring documents, drop them again."""
    from qa import Engine

    engine = Engine.open(
        index_dir, model=model, encoder=encoder, backend=backend, milvus_uri=milvus_uri
    )
    sources: list[str | Path] = list(paths)
    if not sources and not engine.documents():
        logger.info("no documents yet: indexing the example collection")
        sources = [EXAMPLE_DIR]
    if sources:
        summary = engine.add(sources)
        logger.info("indexed %s", summary)
        for error in summary.errors:
            logger.warning("not indexed: %s", error)
        if paths and (summary.added or summary.updated):
            # Own documents replace the example a first start without paths put there.
            drop_examples(engine)
    return engine


def _exit_on_sigterm() -> None:
    """Make SIGTERM (what service managers send) end the process by ``SystemExit``. uvicorn
    stops gracefully on it, then raises it again for the handler it found: with the default
    one the process would end on the spot, before ``serve`` removes ``serve.json`` and its
    Gradio folder and closes the index."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))


def serve(
    paths: Sequence[str | Path],
    index_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    model: str | Path | None = None,
    backend: str | None = None,
    milvus_uri: str | None = None,
    api_token: str | None = None,
    insecure_public: bool = False,
) -> None:
    """Index, then serve until interrupted. ``api_token`` defaults to ``$CITEQA_API_TOKEN``.

    The caller checks the address first with ``check_bind`` (``citeqa serve`` does, so that a
    refusal is a usage error said before anything is printed); with ``insecure_public`` (the
    caller's word that the network is trusted) an open chat is logged as a warning.
    """
    import uvicorn

    if insecure_public and auth is None and not is_loopback(host):
        logger.warning("no login on %s: anyone on the network can read and change the index", host)
    api_token = api_token or os.environ.get(API_TOKEN_ENV) or None
    # Gradio components may phone home unless told otherwise; a local server must not.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # Gradio's copies of uploads and exports: in an owner-only folder of this server's own
    # unless the operator chose one (Gradio's default, /tmp/gradio, is readable by all).
    gradio_cache = None
    if not os.environ.get("GRADIO_TEMP_DIR"):
        gradio_cache = tempfile.mkdtemp(prefix="citeqa-gradio-")
        os.environ["GRADIO_TEMP_DIR"] = gradio_cache
    engine = open_for_serving(paths, index_dir, model=model, backend=backend, milvus_uri=milvus_uri)
    # The landing's suggested questions cost an answer each: make them before the first visit.
    threading.Thread(target=engine.overview, name="citeqa-overview", daemon=True).start()
    # `citeqa ask` on this index uses the API as its owner: with only a login set, a token of
    # this run's own (in the owner-only file qa.served writes) lets it in without the password.
    local_token = api_token or (secrets.token_urlsafe(32) if auth else None)
    app = build_server(engine, upload_dir=index_dir / UPLOADS, auth=auth, api_token=local_token)
    logger.info("serving on http://%s:%d (API docs at /docs)", host, port)
    _exit_on_sigterm()
    try:
        with announced(
            engine.folder,
            host,
            port,
            token=local_token,
            model=model,
            backend=backend,
            milvus_uri=milvus_uri,
        ):
            uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        engine.close()
        if gradio_cache is not None:
            shutil.rmtree(gradio_cache, ignore_errors=True)
            del os.environ["GRADIO_TEMP_DIR"]
