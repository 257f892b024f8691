from __future__ import annotations

from dataclasses import replace

from qa.types import Answer, Chunk, Citation, Hit
from ui.render import Turn, answer_html, conversation_markdown, error_html, highlight, hits_html

PASSAGE = "The fleet has four frigates. Two are based at <Port Alder> & two at sea."
QUOTE = "Two are based at <Port Alder> & two at sea."


def _chunk() -> Chunk:
    return Chunk.make(
        doc_id="wp",
        title="Test White Paper",
        pages=(15,),
        section="4. The Navy",
        text=PASSAGE,
        source="wp.txt",
    )


def _answer(found: bool = True) -> Answer:
    chunk = _chunk()
    citation = Citation(
        n=1,
        doc_id="wp",
        title="Test White Paper",
        pages=(15,),
        quote=QUOTE,
        chunk_id=chunk.id,
        section="4. The Navy",
        passage=PASSAGE,
    )
    return Answer(
        question="Where are the frigates?",
        text=f"{QUOTE} [1] See also [7].",
        citations=(citation,),
        found=found,
        hits=(Hit(chunk, 0.0328, 1),),
    )


def test_highlight_marks_the_quote_inside_the_escaped_passage() -> None:
    marked = highlight(PASSAGE, QUOTE)
    assert marked == (
        "The fleet has four frigates. "
        "<mark>Two are based at &lt;Port Alder&gt; &amp; two at sea.</mark>"
    )


def test_highlight_shows_the_quote_when_the_passage_lacks_it() -> None:
    assert highlight("unrelated text", "the quote") == "<mark>the quote</mark>"


def test_answer_markers_link_to_their_cards_and_unknown_markers_stay_text() -> None:
    rendered = answer_html(_answer(), turn=3)
    assert '<a class="citeqa-cite" href="#citeqa-src-3-1">[1]</a>' in rendered
    assert 'id="citeqa-src-3-1"' in rendered
    assert "See also [7]." in rendered
    assert 'Test White Paper</span>, <span class="citeqa-pages">p. 15</span>' in rendered
    assert "score" not in rendered  # a bare fused score means nothing to a reader
    assert "<Port Alder>" not in rendered
    assert "\n\n" not in rendered


def test_not_found_answers_render_as_a_notice_not_an_answer() -> None:
    rendered = answer_html(_answer(found=False), turn=0)
    assert 'class="citeqa-notfound"' in rendered
    assert "Not found in the documents." in rendered
    assert 'class="citeqa-answer"' not in rendered


def test_search_turn_lists_each_passage_with_rank_pages_and_why_it_ranks() -> None:
    rendered = hits_html([Hit(_chunk(), 0.5, 1, dense_rank=4, lexical_rank=1)], turn=0)
    assert "#1" in rendered
    assert "p. 15" in rendered
    assert 'title="#1 of the passages found; #4 by meaning; #1 by keywords"' in rendered
    assert "&lt;Port Alder&gt;" in rendered
    assert "No passages found" in hits_html([], turn=0)


def test_markdown_export_keeps_questions_answers_and_quoted_citations() -> None:
    turns = [
        Turn("Where are the frigates?", answer=_answer()),
        Turn("frigates", hits=(Hit(_chunk(), 0.5, 1),)),
        Turn("Is there cake?", answer=_answer(found=False)),
    ]
    markdown = conversation_markdown(turns)
    assert "## Q: Where are the frigates?" in markdown
    assert f"[1] Test White Paper, p. 15\n\n> {QUOTE}" in markdown
    assert "1. Test White Paper, p. 15\n\n> " in markdown
    assert "**Not found.**" in markdown
    assert markdown.index("Where are the frigates?") < markdown.index("Is there cake?")


def test_an_error_is_a_chat_message_with_the_reason_escaped() -> None:
    rendered = error_html("the question is 3000 characters long; <limit> 2000")
    assert 'class="citeqa-error" role="alert"' in rendered
    assert "&lt;limit&gt; 2000" in rendered


def test_a_follow_up_shows_what_was_searched_and_the_export_keeps_it() -> None:
    followup = replace(
        _answer(), question="And at sea?", resolved_question="Where are the <frigates> at sea?"
    )
    rendered = answer_html(followup, turn=1)
    assert 'class="citeqa-resolved"' in rendered
    assert "Searched for: <em>Where are the &lt;frigates&gt; at sea?</em>" in rendered
    assert "Searched for" not in answer_html(_answer(), turn=0)
    markdown = conversation_markdown([Turn("And at sea?", answer=followup)])
    assert "## Q: And at sea?\n\n*Searched for:* Where are the <frigates> at sea?" in markdown
    searched = hits_html([Hit(_chunk(), 0.5, 1)], turn=2, resolved="frigates at sea")
    assert "Searched for: <em>frigates at sea</em>" in searched


def _table_answer() -> Answer:
    text = "Fleet\n| Station | Cutters |\n| --- | --- |\n| <North> | 4 |\n| South | 2 |"
    chunk = Chunk.make(
        doc_id="wp",
        title="Test White Paper",
        pages=(9,),
        section=None,
        text=text,
        source=None,
        kind="table",
        block_label="Table 4-1",
    )
    citation = Citation(
        n=1,
        doc_id="wp",
        title="Test White Paper",
        pages=(9,),
        quote="<North>; 4",
        chunk_id=chunk.id,
        passage=text,
        kind="table",
        block_label="Table 4-1",
        table=(("Station", "Cutters"), ("<North>", "4")),
    )
    return Answer("How many cutters?", "<North>; 4 [1]", (citation,), True, (Hit(chunk, 0.1, 1),))


def test_table_citation_renders_an_escaped_table_and_names_the_table() -> None:
    html = answer_html(_table_answer(), turn=0)
    assert '<table class="citeqa-table">' in html
    assert "<th>Station</th><th>Cutters</th>" in html
    assert "<td>&lt;North&gt;</td><td>4</td>" in html
    assert "<North>" not in html
    assert "Table 4-1, p. 9" in html


def test_markdown_export_writes_the_quoted_rows_as_a_table() -> None:
    markdown = conversation_markdown([Turn("How many cutters?", _table_answer())])
    assert "[1] Test White Paper, Table 4-1, p. 9" in markdown
    assert "| Station | Cutters |\n| --- | --- |\n| <North> | 4 |" in markdown


def test_the_short_answer_is_bold_in_the_answer_text() -> None:
    answer = replace(_answer(), text="The fleet has four frigates. [1]", short="four frigates")
    rendered = answer_html(answer, turn=0)
    assert 'The fleet has <strong class="citeqa-short">four frigates</strong>.' in rendered
    assert "citeqa-short" not in answer_html(replace(answer, found=False), turn=0)


def test_a_low_confidence_answer_is_shown_as_a_possible_answer_without_bold() -> None:
    answer = replace(
        _answer(), text="The fleet has four frigates. [1]", short="four frigates", confidence=0.35
    )
    rendered = answer_html(answer, turn=0)
    assert "<strong>Possible answer</strong> (confidence 35%)" in rendered
    assert "citeqa-short" not in rendered
    sure = answer_html(replace(answer, confidence=0.9), turn=0)
    assert "Possible answer" not in sure and "citeqa-short" in sure


def test_a_search_result_is_closed_showing_its_first_line_and_opens_to_its_page_links() -> None:
    long = Chunk.make(
        doc_id="wp",
        title="Test White Paper",
        pages=(15, 16),
        section=None,
        text="The fleet <has> four frigates " + "and more words " * 20 + "\nSecond line.",
        source=None,
    )
    rendered = hits_html([Hit(long, 0.5, 1)], turn=0)
    assert "<details" in rendered and " open" not in rendered.split(">", 1)[0]
    preview = rendered.split('class="citeqa-preview">', 1)[1].split("</div>", 1)[0]
    assert preview.startswith("The fleet &lt;has&gt; four frigates and more words")
    assert preview.endswith(" …") and "Second line" not in preview
    assert 'class="citeqa-page" href="#citeqa-page?doc=wp&amp;p=15"' in rendered
    assert 'href="#citeqa-page?doc=wp&amp;p=16"' in rendered


def test_a_citation_card_links_each_cited_page_with_its_quote() -> None:
    rendered = answer_html(_answer(), turn=0)
    link = rendered.split('class="citeqa-page" href="', 1)[1].split('"', 1)[0]
    from html import unescape

    from ui.pagelink import parse_page_href

    assert parse_page_href(unescape(link)).quote == QUOTE
    assert parse_page_href(unescape(link)).page == 15
