"""The page viewer: a cited page in full in a side panel, the quote marked, previous/next.

Citation cards carry page links (``ui.pagelink``); the page script puts a clicked link in a
hidden box and presses a hidden button, and the viewer opens on that page. For a PDF the page
as printed is shown under its text.
"""

from __future__ import annotations

import html
import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gradio as gr
from PIL import Image

from qa import PageView, pages_label
from qa.errors import CiteqaError
from ui.gradio_api import INTERNAL
from ui.pagelink import BadPageLink, PageLink, parse_page_href
from ui.render import visible

if TYPE_CHECKING:
    from qa import Engine

logger = logging.getLogger(__name__)

VIEWER_WIDTH = "44%"
# A page link clicked anywhere goes to the hidden box, and the hidden button opens it (a
# link's fragment never navigates).
PAGE_LINK_SCRIPT = """
<script>
document.addEventListener("click", (event) => {
  const target = event.target.closest ? event.target : event.target.parentElement;
  const link = target.closest("a.citeqa-page");
  if (!link) return;
  event.preventDefault();
  const box = document.querySelector("#citeqa-page-ref textarea");
  const open = document.getElementById("citeqa-page-open");
  if (!box || !open) return;
  box.value = link.getAttribute("href");
  box.dispatchEvent(new Event("input", {bubbles: true}));
  setTimeout(() => open.click(), 0);
});
</script>
"""
EMPTY = (
    '<div class="citeqa-pageview"><p>Open a cited page from a source card ("Open page 232") '
    "to read it here in full, the quote marked.</p></div>"
)
# After a page opens, bring its first marked range into view.
SCROLL_TO_QUOTE = """() => {
  const mark = document.querySelector("#citeqa-page-body mark");
  if (mark) mark.scrollIntoView({block: "center"});
}"""


def marked_text(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    """Escaped ``text`` with each ``(start, end)`` range wrapped in ``<mark>``."""
    out: list[str] = []
    position = 0
    for start, end in spans:
        out.append(html.escape(visible(text[position:start])))
        out.append(f"<mark>{html.escape(visible(text[start:end]))}</mark>")
        position = end
    out.append(html.escape(visible(text[position:])))
    return "".join(out)


def page_html(view: PageView) -> str:
    """The viewer's body: where the page is, then its whole text with the quote marked."""
    position = f"page {view.position} of {view.count} stored"
    title = html.escape(visible(view.title))
    return (
        '<div class="citeqa-pageview">'
        f'<div class="citeqa-pageview-head"><span class="citeqa-title">{title}'
        f'</span>, <span class="citeqa-pages">{pages_label([view.number])}</span> '
        f'<span class="citeqa-pageview-position">({position})</span></div>'
        f'<div class="citeqa-pageview-text">{marked_text(view.text, view.highlights)}</div>'
        "</div>"
    )


def problem_html(message: str) -> str:
    return (
        '<div class="citeqa-pageview"><div class="citeqa-error" role="alert">'
        f"<strong>Cannot show that page.</strong> {html.escape(message)}</div></div>"
    )


@dataclass(frozen=True)
class Shown:
    """The page on view, kept between clicks: where previous/next lead, and the quote."""

    doc_id: str
    number: int
    previous: int | None
    next: int | None
    quote: str | None


# What the viewer's events update: the panel, the page, its image, the page on view, the
# previous/next buttons, and the column it takes the place of.
_OUTPUTS = 7


def _unchanged() -> tuple[Any, ...]:
    return tuple(gr.skip() for _ in range(_OUTPUTS))


def _opened() -> tuple[Any, Any]:
    """The panel open, and the column beside the chat hidden: the chat keeps its width."""
    return gr.Sidebar(open=True), gr.Column(visible=False)


def _closed() -> tuple[Any, Any]:
    return gr.Sidebar(open=False), gr.Column(visible=True)


def _problem(message: str) -> tuple[Any, ...]:
    panel, beside = _opened()
    return (panel, problem_html(message), *_unchanged()[2:-1], beside)


def show_page(engine: Engine, link: PageLink) -> tuple[Any, ...]:
    """The viewer's updates for the page ``link`` names (or why it cannot be shown)."""
    try:
        view = engine.page(link.doc_id, link.page, quote=link.quote)
        picture = engine.page_image(link.doc_id, link.page) if view.has_image else None
    except CiteqaError as error:
        return _problem(str(error))
    panel, beside = _opened()
    return (
        panel,
        page_html(view),
        gr.Image(value=Image.open(io.BytesIO(picture)) if picture else None, visible=bool(picture)),
        Shown(view.doc_id, view.number, view.previous, view.next, link.quote),
        gr.Button(interactive=view.previous is not None),
        gr.Button(interactive=view.next is not None),
        beside,
    )


def build_viewer(engine: Engine, beside: gr.Column) -> None:
    """The viewer's widgets (a side panel, opened by a page link) and their events; call inside
    the app's Blocks. The page script finds the hidden box and button that open a link by
    their ids.

    The open panel takes the place of ``beside`` (the chat's options column): sharing the
    width three ways would squeeze the chat into a narrow column.
    """
    shown = gr.State(None)
    with gr.Sidebar(
        position="right", open=False, width=VIEWER_WIDTH, elem_id="citeqa-viewer"
    ) as panel:
        with gr.Row():
            previous = gr.Button("◂ Previous page", size="sm", elem_id="citeqa-page-prev")
            following = gr.Button("Next page ▸", size="sm", elem_id="citeqa-page-next")
            close = gr.Button("Close", size="sm", elem_id="citeqa-page-close")
        body = gr.HTML(EMPTY, elem_id="citeqa-page-body")
        image = gr.Image(
            label="The page as printed",
            visible=False,
            interactive=False,
            elem_id="citeqa-page-image",
            buttons=[],
        )
    ref = gr.Textbox(visible="hidden", elem_id="citeqa-page-ref")
    trigger = gr.Button(visible="hidden", elem_id="citeqa-page-open")
    outputs = [panel, body, image, shown, previous, following, beside]

    def open_link(href: str) -> tuple[Any, ...]:
        try:
            return show_page(engine, parse_page_href(href))
        except BadPageLink as error:
            return _problem(str(error))

    def step(state: Shown | None, forward: bool) -> tuple[Any, ...]:
        number = None if state is None else state.next if forward else state.previous
        if state is None or number is None:
            return _unchanged()
        return show_page(engine, PageLink(state.doc_id, number, state.quote))

    trigger.click(open_link, [ref], outputs, api_visibility=INTERNAL).then(None, js=SCROLL_TO_QUOTE)
    for button, forward in ((previous, False), (following, True)):
        button.click(
            lambda state, forward=forward: step(state, forward),
            [shown],
            outputs,
            api_visibility=INTERNAL,
        ).then(None, js=SCROLL_TO_QUOTE)
    close.click(_closed, None, [panel, beside], api_visibility=INTERNAL)
    # The panel's own arrow opens and closes it without going through the events above.
    panel.collapse(lambda: gr.Column(visible=True), None, [beside], api_visibility=INTERNAL)
    panel.expand(lambda: gr.Column(visible=False), None, [beside], api_visibility=INTERNAL)
