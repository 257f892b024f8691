"""The chat's endpoints for Gradio's own clients: ``/ask``, ``/search``, ``/compare`` and
``/documents``, so that ``gradio_client.Client(url).predict(question, api_name="/ask")`` works
as Gradio users expect.

They answer as ``/api`` does (``Answer.to_dict`` and friends); a citeqa error is a
``gr.Error``, which Gradio's clients raise with its message. The widgets' own events are
``INTERNAL``: Gradio listed them on the API page as ``/run``, ``/lambda_1``, ``/respond_2``,
..., taking the widgets' values (chat history, states) that no script should have to build;
now they are off that page and Gradio's client libraries refuse them, while the page itself
still calls them as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import gradio as gr

from qa.errors import CiteqaError

if TYPE_CHECKING:
    from qa import Engine

INTERNAL: Literal["private"] = "private"
_T = TypeVar("_T")


def _as_gradio_errors(call: Callable[[], _T]) -> _T:
    try:
        return call()
    except CiteqaError as error:
        raise gr.Error(str(error)) from error


def add_api_endpoints(engine: Engine) -> None:
    """Register the named endpoints; call inside the app's ``gr.Blocks``."""

    def ask(question: str, docs: list[str] | None = None, k: int | None = None) -> dict[str, Any]:
        """A cited answer: text with [n] markers, short answer, confidence and citations
        (document, pages, verbatim quote)."""
        return _as_gradio_errors(lambda: engine.ask(question, k=k, docs=docs or None).to_dict())

    def search(query: str, k: int = 10, docs: list[str] | None = None) -> dict[str, Any]:
        """The best passages for a query, each with its document and pages."""
        hits = _as_gradio_errors(lambda: engine.search(query, k=k, docs=docs or None))
        return {"query": query, "hits": [hit.to_dict() for hit in hits]}

    def compare(question: str, docs: list[str] | None = None) -> dict[str, Any]:
        """One answer per document (2-4 ids, or the documents the question names)."""
        answers = _as_gradio_errors(lambda: engine.compare(question, docs=docs or None))
        return {"question": question, "answers": {d: a.to_dict() for d, a in answers.items()}}

    def documents() -> dict[str, Any]:
        """The indexed documents."""
        return {"documents": [d.to_dict() for d in engine.documents()]}

    for endpoint in (ask, search, compare, documents):
        gr.api(endpoint, api_name=endpoint.__name__)
