"""The browser chat's layout: Chat, Compare and Documents tabs and the page viewer, wired to
``ui.events``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

from ui.compare_view import build_compare_tab
from ui.events import DOCUMENT_HEADERS, EXTRACTIVE, GENERATIVE, SEARCH_ONLY, Events
from ui.exports import GRADIO_CACHE_SECONDS, SWEEP_SECONDS, Exports
from ui.gradio_api import INTERNAL, add_api_endpoints
from ui.uploads import SUPPORTED_EXTENSIONS
from ui.viewer import build_viewer

if TYPE_CHECKING:
    from qa import Engine, Settings

MAX_PASSAGES = 30

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

// The chat scrolls itself (Gradio's autoscroll is off): a new answer or result list opens at
// its top, just under the chat's floating label, so the best passages are the ones in view;
// the "Searching" note is scrolled to like a new line.
(() => {
  // Each message is placed once: later changes elsewhere on the page leave the reader's
  // scrolling alone.
  let placed = "";
  const place = () => {
    const chat = document.getElementById("citeqa-chat");
    if (!chat) return;
    const messages = chat.querySelectorAll(".citeqa-message");
    const last = messages[messages.length - 1];
    const searching = Boolean(last && last.querySelector(".citeqa-searching"));
    const key = `${messages.length}:${searching}`;
    if (key === placed) return;
    placed = key;
    const scroller = last && last.closest(".bubble-wrap");
    if (!scroller) return;
    if (searching) {
      scroller.scrollTop = scroller.scrollHeight;
      return;
    }
    const label = chat.querySelector("[data-testid=block-label]");
    const top = scroller.getBoundingClientRect().top;
    const under = label ? label.getBoundingClientRect().bottom - top + 6 : 0;
    scroller.scrollTop += last.getBoundingClientRect().top - top - under;
  };
  let pending = false;
  new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      place();
    });
  }).observe(document.documentElement, {childList: true, subtree: true});
})();
</script>
"""

CSS_PATH = Path(__file__).with_name("chat.css")


@dataclass(frozen=True)
class _ChatTab:
    chatbot: gr.Chatbot
    question: gr.Textbox
    send: gr.Button
    export: gr.Button
    download: gr.DownloadButton
    reset: gr.Button
    doc_filter: gr.Dropdown
    passages: gr.Slider
    mode: gr.Radio
    options: gr.Column


@dataclass(frozen=True)
class _DocumentsTab:
    table: gr.Dataframe
    upload: gr.File
    add: gr.Button
    to_remove: gr.Dropdown
    drop: gr.Button
    status: gr.Markdown


def _chat_tab(settings: Settings) -> _ChatTab:
    """The conversation on the left; document filter, passages and answer mode on the right."""
    modes = (
        [EXTRACTIVE, GENERATIVE, SEARCH_ONLY]
        if settings.llm_base_url
        else [EXTRACTIVE, SEARCH_ONLY]
    )
    default_mode = GENERATIVE if settings.llm_base_url else EXTRACTIVE
    with gr.Tab("Chat", id="chat"), gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                elem_id="citeqa-chat",
                label="Conversation",
                height=560,
                autoscroll=False,
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
                # The file is written when the button is pressed, then handed to a hidden
                # download button (see build_app): nothing is written for unasked exports.
                export = gr.Button(
                    "Export conversation (Markdown)",
                    interactive=False,
                    size="sm",
                    elem_id="citeqa-export",
                )
                download = gr.DownloadButton(visible="hidden", elem_id="citeqa-export-file")
                reset = gr.Button("New conversation", size="sm")
        with gr.Column(scale=1, elem_id="citeqa-options") as options:
            doc_filter = gr.Dropdown(
                label="Only these documents", multiselect=True, choices=[], elem_id="citeqa-docs"
            )
            top_k = min(settings.top_k, MAX_PASSAGES)
            passages = gr.Slider(1, MAX_PASSAGES, value=top_k, step=1, label="Passages")
            mode = gr.Radio(modes, value=default_mode, label="Mode", elem_id="citeqa-mode")
    return _ChatTab(
        chatbot, question, send, export, download, reset, doc_filter, passages, mode, options
    )


def _documents_tab() -> _DocumentsTab:
    """The indexed documents, file upload, and removal."""
    with gr.Tab("Documents", id="documents"):
        table = gr.Dataframe(
            headers=DOCUMENT_HEADERS, interactive=False, elem_id="citeqa-documents", wrap=True
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
    return _DocumentsTab(table, upload, add, to_remove, drop, status)


def build_app(
    engine: Engine, *, upload_dir: Path, upload_limit: int, exports: Exports | None = None
) -> gr.Blocks:
    """The Gradio Blocks app: a Chat tab and a Documents tab over ``engine``."""
    events = Events(engine, upload_dir, upload_limit, exports)
    # Gradio's copies of uploads and exports are deleted on this timer and at shutdown.
    delete_cache = (SWEEP_SECONDS, GRADIO_CACHE_SECONDS)
    with gr.Blocks(title="citeqa", analytics_enabled=False, delete_cache=delete_cache) as app:
        gr.Markdown("## citeqa\nAsk questions; every answer cites the pages it quotes.")
        turns = gr.State([])
        message_turns = gr.State({})
        with gr.Tabs():
            chat = _chat_tab(engine.settings)
            compare_docs = build_compare_tab(engine)
            docs = _documents_tab()
        build_viewer(engine, beside=chat.options)
        inputs = [chat.question, chat.chatbot, turns, message_turns]
        inputs += [chat.doc_filter, chat.passages, chat.mode]
        outputs = [chat.chatbot, turns, message_turns, chat.question, chat.export]
        chat.send.click(events.respond, inputs, outputs, api_visibility=INTERNAL)
        chat.question.submit(events.respond, inputs, outputs, api_visibility=INTERNAL)
        chat.chatbot.example_select(
            events.suggested, None, chat.question, api_visibility=INTERNAL
        ).then(events.respond, inputs, outputs, api_visibility=INTERNAL)
        chat.chatbot.like(events.judged, [turns, message_turns], None, api_visibility=INTERNAL)
        cleared = [chat.chatbot, turns, message_turns, chat.export]
        chat.export.click(events.export, [turns], chat.download, api_visibility=INTERNAL).then(
            None, js="() => document.querySelector('#citeqa-export-file')?.click()"
        )
        chat.reset.click(events.clear, None, cleared, api_visibility=INTERNAL)
        chat.chatbot.clear(events.clear, None, cleared, api_visibility=INTERNAL)
        views = [docs.table, chat.doc_filter, docs.to_remove, compare_docs]
        # Progress is drawn once, over the files being indexed (by default every output of
        # the event draws its own copy).
        docs.add.click(
            events.add_files,
            [docs.upload],
            [docs.status, docs.upload, *views],
            show_progress_on=[docs.upload],
            api_visibility=INTERNAL,
        ).then(events.landing, None, chat.chatbot, api_visibility=INTERNAL)
        docs.drop.click(
            events.remove,
            [docs.to_remove],
            [docs.status, *views],
            show_progress_on=[docs.table],
            api_visibility=INTERNAL,
        ).then(events.landing, None, chat.chatbot, api_visibility=INTERNAL)
        app.load(events.document_views, None, views, api_visibility=INTERNAL)
        app.load(events.landing, None, chat.chatbot, api_visibility=INTERNAL)
        add_api_endpoints(engine)
    return app
