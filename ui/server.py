"""One web server: the Gradio chat at ``/`` and the JSON API under ``/api``, run by uvicorn."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr
from fastapi import FastAPI

from ui.api import build_api
from ui.app import CSS_PATH, HEAD, build_app
from ui.uploads import DEFAULT_UPLOAD_LIMIT

if TYPE_CHECKING:
    from qa.encoder import Encoder
    from qa.engine import Engine

logger = logging.getLogger(__name__)

EXAMPLE_DIR = Path(__file__).with_name("example")
UPLOADS = "uploads"


def parse_auth(value: str) -> tuple[str, str]:
    """``user:pass`` -> ``(user, pass)``; the password may itself contain colons."""
    user, colon, password = value.partition(":")
    if not colon or not user or not password:
        raise ValueError("--auth must look like user:password")
    return user, password


def build_server(
    engine: Engine,
    *,
    upload_dir: Path,
    upload_limit: int = DEFAULT_UPLOAD_LIMIT,
    auth: tuple[str, str] | None = None,
) -> FastAPI:
    """The API app with the chat mounted at ``/``; ``auth`` guards both."""
    upload_dir = upload_dir.resolve()
    upload_dir.mkdir(parents=True, exist_ok=True)
    api = build_api(engine, upload_dir=upload_dir, upload_limit=upload_limit, auth=auth)
    chat = build_app(engine, upload_dir=upload_dir, upload_limit=upload_limit)
    # Enough parallel answers for a few users; the engine serialises only index writes.
    chat.queue(default_concurrency_limit=4)
    return gr.mount_gradio_app(
        api,
        chat,
        path="/",
        auth=auth,
        max_file_size=min(upload_limit, engine.settings.max_file_bytes),
        footer_links=[],
        css_paths=[CSS_PATH],
        head=HEAD,
        mcp_server=False,
        ssr_mode=False,
    )


def open_for_serving(
    paths: Sequence[str | Path],
    index_dir: Path,
    *,
    model: str | Path | None = None,
    encoder: Encoder | None = None,
) -> Engine:
    """Open the index, add ``paths``; with neither paths nor documents, add the example pages."""
    from qa.engine import Engine

    engine = Engine.open(index_dir, model=model, encoder=encoder)
    sources: list[str | Path] = list(paths)
    if not sources and not engine.documents():
        logger.info("no documents yet: indexing the example collection")
        sources = [EXAMPLE_DIR]
    if sources:
        summary = engine.add(sources)
        logger.info("indexed %s", summary)
        for error in summary.errors:
            logger.warning("not indexed: %s", error)
    return engine


def serve(
    paths: Sequence[str | Path],
    index_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    model: str | Path | None = None,
) -> None:
    """Index, then serve until interrupted."""
    import uvicorn

    # Gradio components may phone home unless told otherwise; a local server must not.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    engine = open_for_serving(paths, index_dir, model=model)
    app = build_server(engine, upload_dir=index_dir / UPLOADS, auth=auth)
    logger.info("serving on http://%s:%d (API docs at /docs)", host, port)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        engine.close()
