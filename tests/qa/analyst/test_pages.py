from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from qa import Engine
from qa.analyst.pages import IMAGE_WIDTH, neighbours, quote_spans
from qa.errors import UnknownDocument
from tests.fakes import FakeEncoder, fake_engine
from tests.qa.ingest.test_pdf import make_pdf
from ui.server import EXAMPLE_DIR

PAGE = (
    "4. The Navy\n\nThe Navy operates four Heron-class frigates, six patrol vessels and two\n"
    "mine countermeasure ships from its main base. Naval infantry, numbering 1,200\n"
    "personnel, are trained for landing operations.\n\n| Ship | Number |\n| Frigate | 4 |"
)


def _shown(text: str, spans: tuple[tuple[int, int], ...]) -> list[str]:
    return [text[start:end] for start, end in spans]


def test_a_quote_is_found_across_the_page_s_line_breaks_and_case() -> None:
    spans = quote_spans(PAGE, "six patrol vessels and two mine COUNTERMEASURE ships")
    assert _shown(PAGE, spans) == ["six patrol vessels and two\nmine countermeasure ships"]


def test_each_part_of_an_elided_quote_is_marked() -> None:
    quote = "The Navy operates four Heron-class frigates ... Naval infantry, numbering 1,200"
    assert _shown(PAGE, quote_spans(PAGE, quote)) == [
        "The Navy operates four Heron-class frigates",
        "Naval infantry, numbering 1,200",
    ]


def test_a_quote_running_on_to_the_next_page_marks_the_part_on_this_page() -> None:
    quote = "are trained for landing operations. They exercise twice a year on the islands."
    assert _shown(PAGE, quote_spans(PAGE, quote)) == ["are trained for landing operations."]
    following = "exercise twice a year on the islands. The coast guard is civilian."
    assert _shown(following, quote_spans(following, quote)) == [
        "exercise twice a year on the islands."
    ]


def test_a_table_row_quote_is_found_cell_by_cell() -> None:
    assert _shown(PAGE, quote_spans(PAGE, "Frigate; 4")) == ["Frigate", "4"]


def test_a_quote_not_on_the_page_marks_nothing() -> None:
    assert quote_spans(PAGE, "The Air Force flies 24 multirole fighter aircraft.") == ()
    assert quote_spans(PAGE, "") == ()


def test_neighbours_are_stored_pages_not_plus_or_minus_one() -> None:
    assert neighbours([2, 3, 7, 9], 7) == (3, 9, 3)
    assert neighbours([2, 3, 7, 9], 2) == (None, 3, 1)
    assert neighbours([2, 3, 7, 9], 9) == (7, None, 4)
    with pytest.raises(ValueError):
        neighbours([2, 3], 5)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with fake_engine(tmp_path / "index", EXAMPLE_DIR) as engine:
        yield engine


def test_a_cited_page_opens_whole_with_the_quote_marked(engine: Engine) -> None:
    answer = engine.ask("How many fighter aircraft does the Air Force fly?")
    citation = answer.citations[0]
    view = engine.page(citation.doc_id, citation.pages[0], quote=citation.quote)
    assert view.number == 16
    assert (view.previous, view.next) == (15, 17)
    assert (view.position, view.count) == (5, 8)
    assert _shown(view.text, view.highlights) == [citation.quote]
    # The whole page, not just the cited passage.
    assert len(view.text) > len(citation.quote) * 3
    assert not view.has_image
    assert engine.page_image(citation.doc_id, 16) is None


def test_unknown_pages_and_documents_are_refused_with_what_exists(engine: Engine) -> None:
    doc_id = engine.documents()[0].doc_id
    with pytest.raises(UnknownDocument, match="has no page 99; it has pages 12-19"):
        engine.page(doc_id, 99)
    with pytest.raises(UnknownDocument, match="unknown document"):
        engine.page("no-such-document", 1)


def test_a_pdf_page_is_drawn_as_an_image(tmp_path: Path) -> None:
    pdf = tmp_path / "drill-report.pdf"
    pdf.write_bytes(make_pdf([["The drill began at dawn."], ["Eleven boats took part."]]))
    with Engine.open(tmp_path / "index", encoder=FakeEncoder()) as engine:
        engine.add(pdf)
        (document,) = engine.documents()
        view = engine.page(document.doc_id, 2)
        assert view.has_image
        assert view.previous == 1 and view.next is None
        image = Image.open(io.BytesIO(engine.page_image(document.doc_id, 2) or b""))
        assert image.format == "PNG"
        assert image.width == IMAGE_WIDTH
        pdf.unlink()
        # The file is gone: the text stays readable, the image is no longer offered.
        assert not engine.page(document.doc_id, 2).has_image
        assert engine.page_image(document.doc_id, 2) is None
