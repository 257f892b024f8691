from __future__ import annotations

import io

import docx
import pytest

from qa.errors import IngestError
from qa.ingest.docx import load_docx


def make_docx(core_title: str = "") -> bytes:
    word = docx.Document()
    word.core_properties.title = core_title
    word.add_heading("Reserve Forces Plan", level=0)
    word.add_paragraph("Reservists train for twenty days each year at regional depots.")
    word.add_heading("Equipment", level=1)
    word.add_paragraph("Each depot keeps trucks and field radios ready for mobilisation.")
    word.add_heading("Radios", level=2)
    table = word.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Depot"
    table.cell(0, 1).text = "Radios"
    table.cell(1, 0).text = "Eastvale"
    table.cell(1, 1).text = "140"
    word.add_paragraph("Radios are checked every spring.")
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def test_heading_styles_become_markdown_lines_in_document_order() -> None:
    doc = load_docx(make_docx(), "plans/reserve.docx", "reserve.docx")

    assert doc.text.split("\n\n") == [
        "# Reserve Forces Plan",
        "Reservists train for twenty days each year at regional depots.",
        "# Equipment",
        "Each depot keeps trucks and field radios ready for mobilisation.",
        "## Radios",
        "Depot | Radios",
        "Eastvale | 140",
        "Radios are checked every spring.",
    ]
    assert doc.pages is None
    assert doc.id == "reserve"


def test_title_prefers_document_properties_then_the_title_style() -> None:
    assert load_docx(make_docx("Reserve Plan 2033"), "r.docx", None).title == "Reserve Plan 2033"
    assert load_docx(make_docx(), "r.docx", None).title == "Reserve Forces Plan"


def test_damaged_word_file_is_reported() -> None:
    data = make_docx()
    with pytest.raises(IngestError, match="damaged Word document"):
        load_docx(data[: len(data) // 2], "broken.docx", None)
