"""The browser chat: Gradio widgets wired to the shared engine, nothing else."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from qa.errors import CiteqaError
from ui.compare_view import build_compare_tab
from ui.feedback import record_feedback
from ui.landing import example_messages, summary_markdown
from ui.render import Turn, answer_html, conversation_markdown, error_html, hits_html
from ui.uploads import SUPPORTED_EXTENSIONS, UploadRejected, discard_upload, is_upload, save_upload
from ui.viewer import build_viewer

if TYPE_CHECKING:
    from qa.engine import Engine

logger = logging.getLogger(__name__)

EXTRACTIVE = "Answer (extractive)"
GENERATIVE = "Answer (language model)"
SEARCH_ONLY = "Search only"
DOCUMENT_HEADERS = ["Title", "Pages", "Chunks", "Source", "Id"]
MAX_PASSAGES = 30
# A pasted wall of text is echoed in the chat only this far; the box keeps all of it.
QUESTION_SHOWN_CHARS = 400
_STAGE_UNITS = {"reading": "files", "cleaning": "documents", "embedding": "chunks"}
# Shown at once while a question is answered, so the chat never looks frozen.
SEARCHING = (
    '<div class="citeqa-message"><div class="citeqa-searching" role="status">'
    "Searching the documents…</div></div>"
)

# Clicking an [n] marker opens its card before the browser scrolls to it; clicking a
# "Searched for" line puts its query in the question box, to edit and send again.
HEAD = """
<script>
document.addEventListener("click", (event) => {
  const target = event.target.closest ? event.target : event.target.parentElement;
  const link = target.closest("a.citeqa-cite");
  if (link) {
    const card = document.getElementById(link.getAttribute("href").slice(1));
    if (!card) return;
    event.preventDefault();
    card.open = true;
    card.scrollIntoView({block: "nearest", behavior: "smooth"});
    return;
  }
  const searched = target.closest("button.citeqa-resolved");
  if (!searched) return;
  const box = document.querySelector("#citeqa-question textarea");
  if (!box) return;
  // The chat's HTML sanitiser drops data-* attributes: the query is the <em> text.
  box.value = searched.querySelector("em").textContent;
  box.dispatchEvent(new Event("input", {bubbles: true}));
  box.focus();
});
</script>
"""

CSS_PATH = Path(__file__).with_name("chat.css")


def _export_file(turns: Sequence[Turn]) -> str:
    folder = Path(tempfile.mkdtemp(prefix="citeqa-export-"))
    path = folder / "citeqa-conversation.md"
    path.write_text(conversation_markdown(turns), encoding="utf-8")
    return str(path)


def build_app(engine: Engine, *, upload_dir: Path, upload_limit: int) -> gr.Blocks:
    """The Gradio Blocks app: a Chat tab and a Documents tab over ``engine``."""
    settings = engine.settings
    limit = min(upload_limit, settings.max_file_bytes)
    modes = (
        [EXTRACTIVE, GENERATIVE, SEARCH_ONLY]
        if settings.llm_base_url
        else [
            EXTRACTIVE,
            SEARCH_ONLY,
        ]
    )
    default_mode = GENERATIVE if settings.llm_base_url else EXTRACTIVE

    def document_views() -> tuple[Any, ...]:
        documents = engine.documents()
        rows = [[d.title, d.pages, d.chunks, d.source or "", d.doc_id] for d in documents]
        choices = [(f"{d.title} ({d.doc_id})", d.doc_id) for d in documents]
        # A filter naming a removed document would fail every question, so start afresh.
        return (
            gr.Dataframe(value=rows, headers=DOCUMENT_HEADERS),
            gr.Dropdown(choices=choices, value=[]),
            gr.Dropdown(choices=choices, value=documents[0].doc_id if documents else None),
            gr.Dropdown(choices=choices, value=[]),
        )

    def landing() -> Any:
        # Its own event: suggested questions are answered once per index generation, and the
        # document list should not wait for that.
        overview = engine.overview()
        return gr.Chatbot(
            placeholder=summary_markdown(overview), examples=example_messages(overview)
        )

    def respond(
        question: str,
        history: list[dict[str, str]],
        turns: list[Turn],
        message_turns: dict[int, int],
        docs: list[str] | None,
        k: float,
        mode: str,
    ) -> Iterator[tuple[Any, ...]]:
        turn_number = len(turns)
        shown = question.strip() or question
        if len(shown) > QUESTION_SHOWN_CHARS:
            shown = shown[:QUESTION_SHOWN_CHARS] + " …"
        asked = {"role": "user", "content": shown}
        earlier = [turn.history_item for turn in turns]
        searching = {"role": "assistant", "content": SEARCHING}
        yield [*history, asked, searching], turns, message_turns, "", gr.skip()
        try:
            if mode == SEARCH_ONLY:
                resolution = engine.resolve(question, earlier)
                hits = engine.search(question, k=int(k), docs=docs or None, history=earlier)
                resolved = resolution.query if resolution.followup else None
                turn = Turn(question.strip(), hits=tuple(hits), resolved=resolved)
                message = hits_html(hits, turn_number, resolved)
            else:
                answer = engine.ask(
                    question,
                    k=int(k),
                    docs=docs or None,
                    mode="generative" if mode == GENERATIVE else "extractive",
                    history=earlier,
                )
                turn = Turn(question.strip(), answer=answer)
                message = answer_html(answer, turn_number)
        except CiteqaError as error:
            # Said in the chat, with the typed question left in the box to fix and resend;
            # the conversation and its export stay as they were.
            failed = {"role": "assistant", "content": error_html(str(error))}
            yield [*history, asked, failed], turns, message_turns, question, gr.skip()
            return
        turns = [*turns, turn]
        history = [*history, asked, {"role": "assistant", "content": message}]
        message_turns = {**message_turns, len(history) - 1: turn_number}
        export = gr.DownloadButton(value=_export_file(turns), interactive=True)
        yield history, turns, message_turns, "", export

    def suggested(data: gr.SelectData) -> str:
        """A suggested question goes into the box, to be asked as if typed."""
        return str(data.value["text"])

    def judged(turns: list[Turn], message_turns: dict[int, int], data: gr.LikeData) -> None:
        record_feedback(engine, turns, message_turns, data)

    def clear() -> tuple[Any, ...]:
        return [], [], {}, gr.DownloadButton(value=None, interactive=False)

    def add_files(
        files: list[str] | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - how Gradio injects a progress bar
    ) -> tuple[Any, ...]:
        saved: list[Path] = []
        notes: list[str] = []
        for name in files or []:
            path = Path(name)
            try:
                with path.open("rb") as stream:
                    saved.append(save_upload(stream, path.name, upload_dir, limit))
            except UploadRejected as error:
                notes.append(f"{path.name}: {error.message}")
        if saved:

            def report(stage: str, done: int, total: int) -> None:
                progress((done, total), desc=stage.capitalize(), unit=_STAGE_UNITS.get(stage))

            summary = engine.add(saved, progress=report)
            failed = {Path(error.path).resolve() for error in summary.errors}
            for path in saved:
                if path.resolve() in failed:
                    discard_upload(path)
            notes.insert(0, f"Indexed: {summary}")
            notes.extend(f"{Path(e.path).name}: {e.reason}" for e in summary.errors)
        elif not notes:
            notes.append("Choose one or more files first.")
        return ("\n\n".join(notes), None, *document_views())

    def remove(doc_id: str | None) -> tuple[Any, ...]:
        if not doc_id:
            raise gr.Error("Choose a document to remove.")
        origin = next((d.origin for d in engine.documents() if d.doc_id == doc_id), None)
        try:
            engine.remove(doc_id)
        except KeyError as error:
            raise gr.Error(f"Unknown document {doc_id!r}; it may have been removed.") from error
        if is_upload(origin, upload_dir):
            discard_upload(Path(origin))
        return (f"Removed {doc_id}.", *document_views())

    with gr.Blocks(title="citeqa", analytics_enabled=False) as app:
        gr.Markdown("## citeqa\nAsk questions; every answer cites the pages it quotes.")
        turns = gr.State([])
        message_turns = gr.State({})
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        elem_id="citeqa-chat",
                        label="Conversation",
                        height=560,
                        feedback_options=("Like", "Dislike"),
                        buttons=["copy_all"],
                        placeholder="Ask a question about the indexed documents.",
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            elem_id="citeqa-question",
                            show_label=False,
                            placeholder="Your question",
                            scale=5,
                            max_lines=4,
                        )
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="citeqa-ask")
                    with gr.Row():
                        export = gr.DownloadButton(
                            "Export conversation (Markdown)",
                            interactive=False,
                            size="sm",
                            elem_id="citeqa-export",
                        )
                        reset = gr.Button("New conversation", size="sm")
                with gr.Column(scale=1):
                    doc_filter = gr.Dropdown(
                        label="Only these documents",
                        multiselect=True,
                        choices=[],
                        elem_id="citeqa-docs",
                    )
                    passages = gr.Slider(
                        1,
                        MAX_PASSAGES,
                        value=min(settings.top_k, MAX_PASSAGES),
                        step=1,
                        label="Passages",
                    )
                    mode = gr.Radio(modes, value=default_mode, label="Mode", elem_id="citeqa-mode")
            compare_docs = build_compare_tab(engine)
            with gr.Tab("Documents", id="documents"):
                table = gr.Dataframe(
                    headers=DOCUMENT_HEADERS,
                    interactive=False,
                    elem_id="citeqa-documents",
                    wrap=True,
                )
                upload = gr.File(
                    label="Add files",
                    file_count="multiple",
                    file_types=list(SUPPORTED_EXTENSIONS),
                    elem_id="citeqa-upload",
                )
                add = gr.Button("Add to index", variant="primary", elem_id="citeqa-add")
                with gr.Row():
                    to_remove = gr.Dropdown(label="Document", choices=[], scale=3)
                    drop = gr.Button("Remove document", variant="stop", scale=1)
                status = gr.Markdown(elem_id="citeqa-status")

        build_viewer(engine)

        inputs = [question, chatbot, turns, message_turns, doc_filter, passages, mode]
        outputs = [chatbot, turns, message_turns, question, export]
        send.click(respond, inputs, outputs)
        question.submit(respond, inputs, outputs)
        chatbot.example_select(suggested, None, question).then(respond, inputs, outputs)
        chatbot.like(judged, [turns, message_turns], None)
        reset.click(clear, None, [chatbot, turns, message_turns, export])
        chatbot.clear(clear, None, [chatbot, turns, message_turns, export])
        views = [table, doc_filter, to_remove, compare_docs]
        add.click(add_files, [upload], [status, upload, *views]).then(landing, None, chatbot)
        drop.click(remove, [to_remove], [status, *views]).then(landing, None, chatbot)
        app.load(document_views, None, views)
        app.load(landing, None, chatbot)
    return app
