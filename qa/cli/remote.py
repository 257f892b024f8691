"""``citeqa ask`` and ``search`` through the ``citeqa serve`` running on the same index.

A running server has its model loaded and its index open, so a question from the shell costs
the HTTP round trip instead of a second or more of start-up. ``served_for`` finds the server
the index folder announces (``qa.served``) when the command's options match its own; the calls
connect within ``CONNECT_SECONDS`` or raise ``Unavailable``, and so does any answer the
command could not have given itself (a refused token, a server error): the caller then
answers in-process. The server's refusals that the command would have made too (an empty
question, an unknown document) come back as the same errors, with the same messages.
Standard library only (``http.client``): this is the quick path.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from qa.errors import CiteqaError, InvalidQuestion, LanguageModelError, UnknownDocument
from qa.served import Served, model_option, read_served
from qa.settings import default_index_dir

logger = logging.getLogger(__name__)

# A live server on this machine accepts within milliseconds; a stale port refuses at once.
CONNECT_SECONDS = 0.5
# Once connected, the answer takes what it takes (a language model may need a minute or more).
ANSWER_SECONDS = 600.0
_ERRORS: dict[int, type[CiteqaError]] = {
    400: InvalidQuestion,
    404: UnknownDocument,
    502: LanguageModelError,
}


class Unavailable(Exception):
    """The server cannot answer this request: answer in-process instead."""


def served_for(args: argparse.Namespace) -> Served | None:
    """The server announced in ``--index``'s folder, if it was started with the same
    ``--model``, ``--backend`` and ``--milvus-uri`` as this command."""
    served = read_served(Path(args.index) if args.index else default_index_dir())
    if served is None:
        return None
    ours = (model_option(args.model), args.backend, args.milvus_uri)
    if (served.model, served.backend, served.milvus_uri) != ours:
        logger.info("the server on this index runs other options; answering in-process")
        return None
    return served


def search(
    served: Served, question: str, k: int | None, docs: list[str] | None
) -> list[dict[str, Any]]:
    """The hits of ``GET /api/search``, as ``Hit.to_dict`` gives them."""
    query: list[tuple[str, str | int]] = [("q", question)]
    if k is not None:
        query.append(("k", k))
    query += [("doc", doc) for doc in docs or ()]
    return _call(served, "GET", f"/api/search?{urlencode(query)}", None)["hits"]


def ask(
    served: Served,
    question: str,
    k: int | None,
    docs: list[str] | None,
    history: list[Any] | None,
) -> dict[str, Any]:
    """The answer of ``POST /api/ask``, as ``Answer.to_dict`` gives it."""
    body = {"question": question, "k": k, "docs": docs, "history": history}
    return _call(served, "POST", "/api/ask", body)


def _call(served: Served, method: str, path: str, body: object | None) -> Any:
    connection = http.client.HTTPConnection(served.host, served.port, timeout=CONNECT_SECONDS)
    try:
        try:
            connection.connect()
        except OSError as error:
            raise Unavailable(f"{served.url} does not answer: {error}") from error
        assert connection.sock is not None
        connection.sock.settimeout(ANSWER_SECONDS)
        headers = {"Content-Type": "application/json"}
        if served.token:
            headers["Authorization"] = f"Bearer {served.token}"
        payload = None if body is None else json.dumps(body).encode("utf-8")
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            data = json.loads(response.read())
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise Unavailable(f"{served.url}: {error!r}") from error
    finally:
        connection.close()
    if response.status == 200:
        return data
    message = data.get("error") if isinstance(data, dict) else None
    error_type = _ERRORS.get(response.status)
    if error_type is None or not isinstance(message, str):
        raise Unavailable(f"{served.url}{path.split('?')[0]}: HTTP {response.status}")
    raise error_type(message)
