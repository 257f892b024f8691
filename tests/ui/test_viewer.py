from __future__ import annotations

from qa.analyst.pages import PageView
from ui.viewer import marked_text, page_html


def test_marked_ranges_are_wrapped_and_everything_is_escaped() -> None:
    text = "Ships <4> & boats: six patrol vessels and two tugs."
    six = text.index("six patrol vessels")
    assert marked_text(text, ((0, len("Ships <4>")), (six, six + len("six patrol vessels")))) == (
        "<mark>Ships &lt;4&gt;</mark> &amp; boats: <mark>six patrol vessels</mark> and two tugs."
    )
    assert marked_text(text, ()) == "Ships &lt;4&gt; &amp; boats: six patrol vessels and two tugs."


def test_the_page_says_where_it_is() -> None:
    view = PageView("wp", "White <Paper>", 16, "text", 15, 17, 5, 8, highlights=((0, 4),))
    rendered = page_html(view)
    assert 'White &lt;Paper&gt;</span>, <span class="citeqa-pages">p. 16</span>' in rendered
    assert "(page 5 of 8 stored)" in rendered
    assert "<mark>text</mark>" in rendered
