from __future__ import annotations

from qa.text.fields import DOCUMENT_REPEAT, dense_text, lexical_text
from qa.text.words import tokenize_for_bm25
from qa.types import Chunk


def test_fields_carry_title_and_section_once() -> None:
    chunk = Chunk.make(
        doc_id="d",
        title="2019 Annual Report",
        pages=(4,),
        section="Chapter 3. Readiness",
        text="Chapter 3. Readiness\nUnits kept ninety percent of vehicles serviceable.",
        source="reports/annual_2019_Report.pdf",
    )
    header = lexical_text(chunk).split("\n")[0]
    assert header.count("2019 Annual Report annual 2019 Report") == DOCUMENT_REPEAT
    assert lexical_text(chunk).count("Chapter 3") == 1
    assert lexical_text(chunk).endswith(chunk.text)
    assert dense_text(chunk) == "2019 Annual Report\n" + chunk.text
    sectioned = Chunk.make(
        doc_id="d", title="T", pages=(), section="Logistics", text="Trucks.", source=None
    )
    assert dense_text(sectioned) == "T — Logistics\nTrucks."
    assert lexical_text(sectioned) == " ".join(["T"] * DOCUMENT_REPEAT) + " | Logistics\nTrucks."


def test_tokenizer_stems_and_drops_stopwords() -> None:
    assert tokenize_for_bm25(["The Submarines were patrolling; 1,200 sailors!"]) == [
        ["submarin", "were", "patrol", "1200", "sailor"]
    ]
