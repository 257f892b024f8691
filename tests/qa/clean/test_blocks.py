from __future__ import annotations

from qa.clean import clean_document
from qa.clean.blocks import page_blocks
from qa.clean.paragraphs import paragraphs
from qa.clean.pipe_tables import pipe_table_rows
from qa.clean.prose import prose_start
from qa.ingest.page_export import group_page_exports, parse_page_export
from qa.ingest.paged_text import split_pages
from qa.types import (
    CAPTION,
    FIGURE,
    FOOTNOTE,
    HEADING,
    PARAGRAPH,
    SIDE_HEADING,
    TABLE,
    Document,
    Page,
)
from tests.qa.corpus import chunk_document

INDENT = " " * 28
FOOTER = (
    f"\n\n{' ' * 15}Harbour Safety Review 2031\n\u00a0 \u00a0 \u00a0 40\u00a0 \u00a0 \u00a0 41\n"
)


def _export(number: int, *lines: str) -> str:
    """One page in the page-export layout: header, body lines at the base indent, footer."""
    body = "\n".join(lines)
    return f"Page {number} - Harbour Safety Review\nP. {number}\n\n{body}{FOOTER}"


def _export_doc(*pages: str) -> Document:
    parsed = [parse_page_export(text, f"p{i}.txt") for i, text in enumerate(pages)]
    (doc,) = group_page_exports(parsed)
    return clean_document(doc)


def _paged_doc(text: str) -> Document:
    pages = tuple(Page(n, t) for n, t in enumerate(split_pages(text), start=1))
    return clean_document(Document(id="d", title="Coastal Review", pages=pages))


def _prose(doc: Document) -> list[str]:
    return [p.text for p in paragraphs(doc) if p.kind == PARAGRAPH]


def _lifted(doc: Document, kind: str) -> list[str]:
    return [p.text for p in paragraphs(doc) if p.kind == kind]


SENTENCE = (
    "The coast guard keeps four cutters on station in the northern sound, "
    "and two more stand ready in the harbour for winter storms."
)


def test_export_sentence_interrupted_by_a_chart_reads_as_one_sentence() -> None:
    doc = _export_doc(
        _export(
            41,
            "The coast guard keeps four cutters on station in the northern sound, and [Chart 2-3]",
            f"{INDENT}Cutters on Station",
            f"{INDENT} (Unit: vessels) North Sound (4) Harbour (2) Outer Banks (1) Estuary (3)",
            "",
            f"{INDENT}two more stand ready in the harbour for winter storms.",
        )
    )
    assert SENTENCE in _prose(doc)
    (chart,) = _lifted(doc, FIGURE)
    assert chart.startswith("Chart 2-3 Cutters on Station")
    assert "(Unit: vessels)" in chart and "Outer Banks (1)" in chart


def test_markdown_sentence_interrupted_by_a_figure_reads_as_one_sentence() -> None:
    doc = _paged_doc(
        "The coast guard keeps four cutters on station in the northern sound, and\n\n"
        "**<Chart 2-3> Cutters on Station**\n\n(Unit: vessels)\n\nNorth Sound\n4\n\n"
        "Harbour\n2\n\n"
        "two more stand ready in the harbour for winter storms.\n"
    )
    assert SENTENCE in _prose(doc)
    (chart,) = _lifted(doc, FIGURE)
    assert chart.startswith("Chart 2-3") and "North Sound 4" in chart


def test_export_sentence_interrupted_by_a_footnote_reads_as_one_sentence() -> None:
    doc = _export_doc(
        _export(
            41,
            "The coast guard keeps four cutters on station in the northern sound,[7)] and two",
            f"{INDENT}more stand ready **7)** The sound is the strait north of the outer banks.",
            "",
            f"{INDENT} in the harbour for winter storms. Crews rotate every month.",
        )
    )
    (prose,) = _prose(doc)
    assert prose.startswith(SENTENCE)
    assert "[7)]" not in prose and "strait" not in prose
    (note,) = [p for p in paragraphs(doc) if p.kind == FOOTNOTE]
    assert (note.text, note.label, note.pages) == (
        "The sound is the strait north of the outer banks.",
        "7",
        (41,),
    )
    (rebuilt,) = [p for p in paragraphs(doc) if p.kind == PARAGRAPH]
    assert rebuilt.notes == ("7",)


def test_export_sentence_interrupted_by_a_side_heading_reads_as_one_sentence() -> None:
    doc = _export_doc(
        _export(
            41,
            "Earlier work ended here.",
            f"{INDENT} **Cutter** The coast guard keeps four cutters on station in the northern",
            f"{INDENT}**Deployment** sound, and two more stand ready in the harbour for winter",
            f"{INDENT}storms.",
        )
    )
    assert SENTENCE in _prose(doc)
    assert _lifted(doc, HEADING) == ["Cutter Deployment"]
    # The side heading leads the chunk of the text it names, on a line of its own.
    (chunk,) = chunk_document(doc)
    assert chunk.text.endswith(f"\nCutter Deployment\n{SENTENCE}")


def test_heading_wrapped_onto_an_indented_line_before_a_side_heading_stays_whole() -> None:
    doc = _export_doc(
        _export(
            41,
            "Earlier work ended here.",
            "",
            f"{INDENT}2. Keeping the Northern Sound Open for Coastal",
            "",
            f"{INDENT} Fishing Fleets **Cutter** The coast guard keeps four cutters on station in"
            " the",
            f"{INDENT}**Deployment** northern sound, and two more stand ready in the harbour for",
            f"{INDENT}winter storms.",
        )
    )
    assert SENTENCE in _prose(doc)
    chunk = chunk_document(doc)[-1]
    assert SENTENCE in chunk.text
    assert chunk.section == "2. Keeping the Northern Sound Open for Coastal Fishing Fleets"


def test_sentence_across_a_page_break_with_a_footnote_at_the_page_foot() -> None:
    doc = _export_doc(
        _export(
            41,
            "The coast guard keeps four cutters on station in the northern sound,[8)] and two",
            f"{INDENT}more stand ready in the harbour",
            f"{INDENT} **8)** Counted at the spring inspection of the fleet.",
        ),
        _export(42, "for winter storms. Crews rotate every month."),
    )
    found = paragraphs(doc)
    (prose,) = [p for p in found if p.kind == PARAGRAPH]
    assert prose.text == f"{SENTENCE} Crews rotate every month."
    assert prose.pages == (41, 42)
    (note,) = [p for p in found if p.kind == FOOTNOTE]
    assert note.text == "Counted at the spring inspection of the fleet." and note.pages == (41,)


def test_markdown_footnote_line_with_a_marker_is_lifted_across_the_page_break() -> None:
    doc = _paged_doc(
        "The coast guard keeps four cutters on station in the northern sound,[3)] and two\n\n"
        "more stand ready in the harbour\n\n"
        "3) The sound is the strait north of the outer banks.\n"
        "-----\n"
        "for winter storms.\n"
    )
    assert _prose(doc) == [SENTENCE]
    assert _lifted(doc, FOOTNOTE) == ["The sound is the strait north of the outer banks."]


def test_footnote_line_set_in_bold_is_lifted_with_its_wrapped_end() -> None:
    doc = _paged_doc(
        "The coast guard keeps four cutters on station in the northern sound,[3)] and two\n\n"
        "**3) The sound is the strait north of the outer banks and the**\n\n"
        "fjords\n"
        "-----\n"
        "more stand ready in the harbour for winter storms.\n"
    )
    assert _prose(doc) == [SENTENCE]
    assert _lifted(doc, FOOTNOTE) == [
        "The sound is the strait north of the outer banks and the fjords"
    ]


def test_flattened_pipe_table_is_one_block_with_rows_and_cells() -> None:
    (table,) = page_blocks(
        "[Table 4-1] Cutter Fleet\n(Unit: vessels) |Station|Cutters|Crews| |---|---|---| "
        "|North Sound|4|60| |Harbour|2|\n30|"
    )
    assert (table.kind, table.label, table.text) == (
        TABLE,
        "Table 4-1",
        "Cutter Fleet (Unit: vessels)",
    )
    assert table.rows == (
        ("Station", "Cutters", "Crews"),
        ("North Sound", "4", "60"),
        ("Harbour", "2", "30"),
    )


def test_markdown_pipe_table_between_paragraphs_is_one_block() -> None:
    blocks = page_blocks(
        "Before the table the fleet grew.\n\n"
        "Table 3.1: Cutter Fleet\n\n"
        "| Station | Cutters |\n|---|---:|\n| North Sound | 4 |\n| Harbour |  |\n\n"
        "After the table the fleet shrank."
    )
    assert [b.kind for b in blocks] == [PARAGRAPH, TABLE, PARAGRAPH]
    assert blocks[1].label == "Table 3.1"
    assert blocks[1].rows == (("Station", "Cutters"), ("North Sound", "4"), ("Harbour", ""))


def test_chart_becomes_one_block_and_prose_resumes_in_the_same_line() -> None:
    blocks = page_blocks(
        "[Chart 6-1] Ports Visited\n\n"
        "**Ports (Year of First Visit)** Aldport (1998), Bexhaven (2004), Corrin (2011) "
        "Since then, the squadron has visited the three ports every year."
    )
    assert [b.kind for b in blocks] == [FIGURE, PARAGRAPH]
    assert blocks[0].label == "Chart 6-1"
    assert blocks[0].text.endswith("Corrin (2011)")
    assert blocks[1].text == "Since then, the squadron has visited the three ports every year."


def test_table_row_cut_by_a_column_break_continues_in_the_next_segment() -> None:
    blocks = page_blocks(
        "|Year|Event| |---|---| |2029|Storm surge closed the\n\n"
        "harbour for a week| The board then raised the sea wall by a metre."
    )
    assert [b.kind for b in blocks] == [TABLE, PARAGRAPH]
    assert blocks[0].rows[1] == ("2029", "Storm surge closed the harbour for a week")


def test_labels_in_prose_are_references_not_blocks() -> None:
    text = (
        "The fleet is listed in [Chart 6-1]. Figure 10-5 below compares the ports,\n"
        "and the costs (Figure 2-4) rose."
    )
    assert [b.kind for b in page_blocks(text)] == [PARAGRAPH]


def test_photo_caption_before_a_footnote_is_a_caption() -> None:
    blocks = page_blocks("The squadron returned in May.\n\nAldport Pier **4)** Built in 1998.")
    assert [b.kind for b in blocks] == [PARAGRAPH, CAPTION, FOOTNOTE]
    assert blocks[1].text == "Aldport Pier"


def test_bold_line_heading_and_numbers_without_label() -> None:
    blocks = page_blocks("**Fleet Readiness**\n\n2029 2030 2031 2032\n41 45 48 52\n\nAll is well.")
    assert [b.kind for b in blocks] == [HEADING, FIGURE, PARAGRAPH]


def test_bold_lines_of_their_own_are_a_heading_even_in_lost_small_capitals() -> None:
    text = (
        "**Section 2 Coastal Defence Policy**\n**and Harbour Strategy**\n\n"
        "The ministry keeps four cutters on station.\n\n"
        "**1. national Coastal Objectives**\n\n"
        "The objectives are listed below."
    )
    blocks = page_blocks(text)
    assert [(b.kind, b.text) for b in blocks if b.kind == HEADING] == [
        (HEADING, "Section 2 Coastal Defence Policy and Harbour Strategy"),
        (HEADING, "1. national Coastal Objectives"),
    ]


def test_bold_lone_cell_is_a_side_heading() -> None:
    blocks = page_blocks("**| Harbour Budget |** To ensure the cutters sail, the budget grew.")
    assert [(b.kind, b.text) for b in blocks] == [
        (SIDE_HEADING, "Harbour Budget"),
        (PARAGRAPH, "To ensure the cutters sail, the budget grew."),
    ]


def test_bold_sentence_note_or_run_leading_a_line_is_no_heading() -> None:
    blocks = page_blocks(
        "**The harbour was closed for a week.**\n\n"
        "**2) an agreement on fishing rights**\n\n"
        "**Cutter** The coast guard keeps four cutters on station."
    )
    assert HEADING not in [b.kind for b in blocks]
    assert [b.kind for b in blocks][-2:] == [SIDE_HEADING, PARAGRAPH]


def test_prose_start_skips_chart_values() -> None:
    text = "Aldport (1998), Bexhaven (2004) To date, the squadron has visited them yearly."
    assert text[prose_start(text) or 0 :].startswith("To date")
    assert prose_start("North Sound (4) Harbour (2) Outer Banks (1)") is None


def test_table_rows_of_markdown_lines_keep_empty_cells() -> None:
    assert pipe_table_rows("| a | |\n|---|---|\n| | b |") == (("a", ""), ("", "b"))


def test_chunks_carry_kinds_and_a_table_chunk_keeps_rows() -> None:
    doc = _paged_doc(
        "The harbour board met in spring and reviewed the whole fleet of cutters.\n\n"
        "Table 3.1: Cutter Fleet\n\n"
        "| Station | Cutters |\n|---|---|\n| North Sound | 4 |\n| Harbour | 2 |\n"
    )
    chunks = chunk_document(doc)
    assert [c.kind for c in chunks] == [PARAGRAPH, TABLE]
    table = chunks[1]
    assert table.block_label == "Table 3.1"
    assert table.label == "Coastal Review, Table 3.1, p. 1"
    assert table.text == (
        "Cutter Fleet\n| Station | Cutters |\n| --- | --- |\n| North Sound | 4 |\n| Harbour | 2 |"
    )


def test_chart_titled_in_angle_brackets_is_a_figure_even_when_marked_as_a_heading() -> None:
    blocks = page_blocks(
        "# <Readiness of the Coastal Squadron Before and After the\n\n"
        "Refit (1)> 2029 2030 41 45\n\n**12.5%P** 8.1%P 93 88\n\nThe refit was finished on time."
    )
    assert [b.kind for b in blocks] == [FIGURE, PARAGRAPH]
    assert blocks[0].text.startswith("<Readiness of the Coastal Squadron")
    assert "12.5%P" in blocks[0].text


def test_prose_after_a_table_on_the_table_s_last_line_is_kept_as_prose() -> None:
    blocks = page_blocks(
        "|Year|Event|Cost| |---|---|---| |2029|Storm surge closed the harbour|4.1| "
        "|2030|Pier rebuilt| Meanwhile, tensions along the coast\n"
        "have continued to grow since May 2030, and the board raised the sea wall."
    )
    assert [b.kind for b in blocks] == [TABLE, PARAGRAPH]
    assert blocks[0].rows[-1] == ("2030", "Pier rebuilt")
    assert blocks[1].text.startswith("Meanwhile, tensions along the coast")
    assert "|" not in blocks[1].text


def test_title_line_marked_as_heading_runs_into_a_header_row_cut_by_a_column_break() -> None:
    blocks = page_blocks(
        "The board surveyed the coastal fences in 2029.\n\n"
        "# [Chart 5-7] Results of the Fence Survey\n\n"
        "# Coastal Fences (Unit: km) |Category|Target|Sections Approved for\n\n"
        "Removal|Results| |---|---|---|---| |Total|41.3|11.6|29.8| The board removed 3.4 km "
        "of fence where removal was required."
    )
    assert [b.kind for b in blocks] == [PARAGRAPH, TABLE, PARAGRAPH]
    table = blocks[1]
    assert table.label == "Chart 5-7"
    assert table.text == "Results of the Fence Survey Coastal Fences (Unit: km)"
    assert table.rows[0] == ("Category", "Target", "Sections Approved for Removal", "Results")
    assert blocks[2].text == "The board removed 3.4 km of fence where removal was required."


def test_a_table_of_placeholder_cells_leaves_its_title_without_markup() -> None:
    blocks = page_blocks("[Chart 3-5] Key Units of the Fleet |Col1|Col2|Col3| |---|---|---| ||||")
    assert [(b.kind, b.text) for b in blocks] == [(FIGURE, "Chart 3-5 Key Units of the Fleet")]
