"""What the chat's buttons do: the functions Gradio calls, from widget values to new values.

The layout that wires them to widgets is ``ui.app``; what they share with the JSON API (index
uploads, remove a document) is ``ui.flows``.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
from gradio.utils import get_upload_folder

from qa import DocumentInfo
from qa.errors import CiteqaError, UnknownDocument
from ui.examples import EXAMPLE_MARK, drop_examples, example_ids, is_example
from ui.exports import Exports
from ui.feedback import record_feedback
from ui.flows import index_uploads, remove_document
from ui.landing import example_messages, summary_markdown
from ui.render import (
    Turn,
    answer_html,
    conversation_markdown,
    error_html,
    hits_html,
    visible,
)
from ui.uploads import UploadRejected, save_upload

if TYPE_CHECKING:
    from qa import Engine

EXTRACTIVE = "Answer (extractive)"
GENERATIVE = "Answer (language model)"
SEARCH_ONLY = "Search only"
DOCUMENT_HEADERS = ["Title", "Pages", "Chunks", "Source", "Id"]
# A pasted wall of text is echoed in the chat only this far; the box keeps all of it.
QUESTION_SHOWN_CHARS = 400
_STAGE_UNITS = {"reading": "files", "cleaning": "documents", "embedding": "chunks"}
# Shown at once while a question is answered, so the chat never looks frozen.
SEARCHING = (
    '<div class="citeqa-message"><div class="citeqa-searching" role="status">'
    "Searching the documents…</div></div>"
)

ChatHistory = list[dict[str, str]]


def _shown_question(question: str) -> str:
    """The question as typed: escaped HTML, so the chat's Markdown, HTML and LaTeX rendering
    leaves it alone (an HTML block is not read as Markdown; ``$`` as an entity starts no
    formula)."""
    shown = question.strip() or question
    if len(shown) > QUESTION_SHOWN_CHARS:
        shown = shown[:QUESTION_SHOWN_CHARS] + " …"
    escaped = html.escape(shown).replace("$", "&#36;").replace("\n", "<br>")
    return f'<div class="citeqa-question">{escaped}</div>'


def _discard_gradio_copy(path: Path) -> None:
    cache = Path(get_upload_folder()).resolve()
    if path.resolve().is_relative_to(cache) and not path.is_symlink():
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # Gradio's folder for this one file, when empty


def _dropped_note(dropped: Sequence[DocumentInfo]) -> list[str]:
    if not dropped:
        return []
    names = ", ".join(d.title for d in dropped)
    return [f"Removed the {EXAMPLE_MARK} ({names}): the index holds your own documents now."]


class Events:
    """The event handlers of one chat app over ``engine``; uploads go to ``upload_dir``,
    conversation exports to ``exports``."""

    def __init__(
        self, engine: Engine, upload_dir: Path, upload_limit: int, exports: Exports | None = None
    ) -> None:
        self.engine = engine
        self.upload_dir = upload_dir
        self.limit = min(upload_limit, engine.settings.max_file_bytes)
        self.exports = exports or Exports()

    def document_views(self) -> tuple[Any, Any, Any, Any]:
        """The Documents table, the chat's document filter, the removal choice and the
        Compare tab's documents."""
        documents = self.engine.documents()
        # The invented example says so wherever a title is listed.
        shown = [
            (f"{visible(d.title)} ({EXAMPLE_MARK})" if is_example(d) else visible(d.title), d)
            for d in documents
        ]
        rows = [[title, d.pages, d.chunks, d.source or "", d.doc_id] for title, d in shown]
        choices = [(f"{title} ({d.doc_id})", d.doc_id) for title, d in shown]
        # A filter naming a removed document would fail every question, so start afresh.
        return (
            gr.Dataframe(value=rows, headers=DOCUMENT_HEADERS),
            gr.Dropdown(choices=choices, value=[]),
            gr.Dropdown(choices=choices, value=documents[0].doc_id if documents else None),
            gr.Dropdown(choices=choices, value=[]),
        )

    def landing(self) -> Any:
        """The empty chat: the collection's figures and suggested questions. Its own event:
        suggestions are answered once per change of the documents, and the document list
        should not wait for that."""
        overview = self.engine.overview()
        examples = [d for d in self.engine.documents() if is_example(d)]
        return gr.Chatbot(
            placeholder=summary_markdown(overview, [d.title for d in examples]),
            examples=example_messages(overview, example_ids(examples)),
        )

    def suggested(self, data: gr.SelectData) -> str:
        """A suggested question goes into the box, to be asked as if typed."""
        return str(data.value["text"])

    def judged(self, turns: list[Turn], message_turns: dict[int, int], data: gr.LikeData) -> None:
        record_feedback(self.engine, turns, message_turns, data)

    def respond(
        self,
        question: str,
        history: ChatHistory,
        turns: list[Turn],
        message_turns: dict[int, int],
        docs: list[str] | None,
        k: float,
        mode: str,
    ) -> Iterator[tuple[Any, ...]]:
        """Chat, turns, message -> turn map, question box and export button (enabled once
        there is an answer): at once with a "Searching" message, then after asking
        ``question``."""
        asked = {"role": "user", "content": _shown_question(question)}
        searching = {"role": "assistant", "content": SEARCHING}
        yield [*history, asked, searching], turns, message_turns, "", gr.skip()
        try:
            turn, message = self._turn(question, turns, docs or None, int(k), mode)
        except CiteqaError as error:
            # Said in the chat, with the typed question left in the box to fix and resend;
            # the conversation and its export stay as they were.
            failed = {"role": "assistant", "content": error_html(str(error))}
            yield [*history, asked, failed], turns, message_turns, question, gr.skip()
            return
        turns = [*turns, turn]
        history = [*history, asked, {"role": "assistant", "content": message}]
        # The thumbs under a message name it by its place in the chat.
        message_turns = {**message_turns, len(history) - 1: len(turns) - 1}
        yield history, turns, message_turns, "", gr.Button(interactive=True)

    def _turn(
        self, question: str, turns: list[Turn], docs: list[str] | None, k: int, mode: str
    ) -> tuple[Turn, str]:
        """The new turn and its chat message: passages in search-only mode, else an answer."""
        engine = self.engine
        earlier = [turn.history_item for turn in turns]
        if mode == SEARCH_ONLY:
            resolution = engine.resolve(question, earlier)
            hits = engine.search(question, k=k, docs=docs, history=earlier)
            resolved = resolution.query if resolution.followup else None
            turn = Turn(question.strip(), hits=tuple(hits), resolved=resolved)
            return turn, hits_html(hits, len(turns), resolved)
        answer = engine.ask(
            question,
            k=k,
            docs=docs,
            mode="generative" if mode == GENERATIVE else "extractive",
            history=earlier,
        )
        return Turn(question.strip(), answer=answer), answer_html(answer, len(turns))

    def clear(self) -> tuple[Any, ...]:
        return [], [], {}, gr.Button(interactive=False)

    def export(self, turns: list[Turn]) -> str:
        """The conversation as a Markdown file, written now (see ``ui.exports``)."""
        if not turns:
            raise gr.Error("Nothing to export yet: ask a question first.")
        return str(self.exports.write(conversation_markdown(turns)))

    def add_files(
        self,
        files: list[str] | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - how Gradio injects a progress bar
    ) -> tuple[Any, ...]:
        """Save and index the chosen files; a status note, then fresh document views."""
        saved: list[Path] = []
        notes: list[str] = []
        for name in files or []:
            path = Path(name)
            try:
                with path.open("rb") as stream:
                    saved.append(save_upload(stream, path.name, self.upload_dir, self.limit))
            except UploadRejected as error:
                notes.append(f"{path.name}: {error.message}")
            finally:
                # Gradio's copy is not needed once read: uploads keep their own under the index.
                _discard_gradio_copy(path)
        if saved:

            def report(stage: str, done: int, total: int) -> None:
                progress((done, total), desc=stage.capitalize(), unit=_STAGE_UNITS.get(stage))

            summary = index_uploads(self.engine, saved, self.upload_dir, progress=report)
            notes.insert(0, f"Indexed: {summary}")
            notes.extend(f"{Path(e.path).name}: {e.reason}" for e in summary.errors)
            if summary.added or summary.updated:
                notes.extend(_dropped_note(drop_examples(self.engine)))
        elif not notes:
            notes.append("Choose one or more files first.")
        return ("\n\n".join(notes), None, *self.document_views())

    def remove(self, doc_id: str | None) -> tuple[Any, ...]:
        if not doc_id:
            raise gr.Error("Choose a document to remove.")
        try:
            remove_document(self.engine, doc_id, self.upload_dir)
        except UnknownDocument as error:
            raise gr.Error(f"Unknown document {doc_id!r}; it may have been removed.") from error
        return (f"Removed {doc_id}.", *self.document_views())
