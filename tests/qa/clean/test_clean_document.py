from __future__ import annotations

from qa.clean import clean_document, paragraphs
from qa.ingest.page_export import group_page_exports, parse_page_export
from qa.types import Document, Page
from tests.conftest import FIXTURES


def _fixture_doc() -> Document:
    files = sorted((FIXTURES / "page_export").iterdir())
    pages = [parse_page_export(f.read_text(encoding="utf-8"), str(f)) for f in files]
    (doc,) = group_page_exports(pages)
    return doc


def test_cleaning_repairs_ligatures_and_hyphens_page_by_page() -> None:
    doc = clean_document(_fixture_doc())
    first, second = (page.text for page in doc.pages or ())
    assert "five priorities" in first
    assert "their firm support" in first
    assert "the influence of weather" in first
    assert "the difficulty of night approaches" in first
    assert "It is important\nthat every pilot" in second
    assert "non-routine\nmanoeuvres" in second


def test_a_document_is_its_own_corpus() -> None:
    # "Off ice" is rejoined only where the document itself writes "office" whole; what other
    # documents hold never changes a document's text.
    doc = Document(id="b", title="b", pages=(Page(1, "The Off ice of Ports."),))
    seen = Document(id="c", title="c", pages=(Page(1, "The Off ice of Ports. The office.\n"),))
    (alone,) = clean_document(doc).pages or ()
    (repaired,) = clean_document(seen).pages or ()
    assert alone.text == "The Off ice of Ports."
    assert repaired.text.startswith("The Office of Ports.")


def test_cleaned_fixture_rebuilds_into_whole_paragraphs() -> None:
    found = paragraphs(clean_document(_fixture_doc()))
    texts = [p.text for p in found]
    assert "Despite this, the harbour master is confident that the channel can cope" in texts[1]
    crossing = next(p for p in found if "asked the ferry operators for their views" in p.text)
    assert crossing.pages == (14, 15)
    assert crossing.section == "2. Training of Pilots"
