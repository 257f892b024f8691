"""Compare mode in the browser: one question, 2-4 documents, their answers side by side."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import gradio as gr

from qa import Answer
from qa.errors import CiteqaError
from ui.gradio_api import INTERNAL
from ui.render import answer_html, error_html, visible

if TYPE_CHECKING:
    from qa import Engine

logger = logging.getLogger(__name__)

SEARCHING = (
    '<div class="citeqa-message"><div class="citeqa-searching" role="status">'
    "Asking each document…</div></div>"
)


def compare_html(answers: Mapping[str, Answer], titles: Mapping[str, str], key: str) -> str:
    """The answers in columns, one per document, each with its own citations; ``key`` keeps
    the card anchors of one comparison apart from the chat's and from other comparisons."""
    columns = []
    for i, (doc_id, answer) in enumerate(answers.items()):
        title = html.escape(visible(titles.get(doc_id, doc_id)))
        columns.append(
            f'<section class="citeqa-compare-column" data-doc="{html.escape(doc_id)}">'
            f'<h3 class="citeqa-compare-title">{title}</h3>'
            f"{answer_html(answer, f'{key}-{i}')}</section>"
        )
    return f'<div class="citeqa-compare">{"".join(columns)}</div>'


def build_compare_tab(engine: Engine) -> Any:
    """The Compare tab's widgets and events; returns its document picker, whose choices the
    app refreshes with the document list. Call inside a ``gr.Tabs``."""
    with gr.Tab("Compare", id="compare"):
        gr.Markdown(
            "One question, asked of each chosen document on its own: every column answers "
            "with its own citations, or says the document does not answer. Choose 2-4 "
            "documents, or name them in the question (*the 2018 and 2020 white papers*)."
        )
        with gr.Row(equal_height=True):
            question = gr.Textbox(
                show_label=False,
                placeholder="What does each edition say about …?",
                elem_id="citeqa-compare-question",
                scale=4,
                max_lines=3,
            )
            docs = gr.Dropdown(
                label="Documents",
                multiselect=True,
                max_choices=4,
                choices=[],
                elem_id="citeqa-compare-docs",
                scale=3,
            )
            ask = gr.Button("Compare", variant="primary", elem_id="citeqa-compare-ask", scale=1)
        result = gr.HTML(elem_id="citeqa-compare-result")
        # Inside the tab: any other child of the Tabs shifts the tab order the browser
        # counts, and the next tab is then drawn twice once clicked.
        asked = gr.State(0)

    def run(text: str, chosen: list[str] | None, count: int) -> Iterator[tuple[Any, int]]:
        yield SEARCHING, count
        try:
            answers = engine.compare(text, docs=chosen or None)
        except CiteqaError as error:
            yield error_html(str(error)), count
            return
        titles = {d.doc_id: d.title for d in engine.documents()}
        yield compare_html(answers, titles, f"cmp{count}"), count + 1

    ask.click(run, [question, docs, asked], [result, asked], api_visibility=INTERNAL)
    question.submit(run, [question, docs, asked], [result, asked], api_visibility=INTERNAL)
    return docs
