"""``citeqa mcp --http``: the MCP server over streamable HTTP at ``/mcp``, behind the bind and
credential rules of ``citeqa serve`` (``qa.access``): the caller checks the bind, and with a
login or token every request without it is answered 401 before the SDK sees it. The SDK
itself refuses a ``Host`` that is not the bound loopback name (DNS rebinding).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from qa.access import authorized, challenge
from qa.integrations.mcp import build_server

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from qa.engine import Engine

logger = logging.getLogger(__name__)

HTTP_PATH = "/mcp"
DEFAULT_PORT = 8765


class _Guarded:
    """ASGI wrapper: every HTTP request needs the login or bearer token (``qa.access``)."""

    def __init__(self, app: ASGIApp, login: tuple[str, str] | None, token: str | None) -> None:
        self.app = app
        self.login = login
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or ())
            header = headers.get(b"authorization", b"").decode("latin-1") or None
            if not authorized(header, self.login, self.token):
                response = JSONResponse(
                    {"error": "wrong or missing credentials"},
                    status_code=401,
                    headers={"WWW-Authenticate": challenge(self.login, self.token)},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def http_app(
    engine: Engine,
    *,
    host: str = "127.0.0.1",
    auth: tuple[str, str] | None = None,
    api_token: str | None = None,
) -> ASGIApp:
    """The streamable HTTP app at ``/mcp``; with ``auth`` or ``api_token`` every request
    needs HTTP basic with that login or ``Authorization: Bearer <api_token>``."""
    app = build_server(engine).streamable_http_app(streamable_http_path=HTTP_PATH, host=host)
    return _Guarded(app, auth, api_token) if auth or api_token else app


def serve_http(
    engine: Engine,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    auth: tuple[str, str] | None = None,
    api_token: str | None = None,
) -> None:
    """Serve streamable HTTP until interrupted; the caller checks the bind (``check_bind``)."""
    import uvicorn

    app = http_app(engine, host=host, auth=auth, api_token=api_token)
    logger.info("MCP over streamable HTTP on http://%s:%d%s", host, port, HTTP_PATH)
    uvicorn.run(app, host=host, port=port, log_level="warning")
