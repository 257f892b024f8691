from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa.clean import clean_document
from qa.ingest.page_export import group_page_exports, parse_page_export
from qa.settings import Settings
from qa.text.fields import dense_text, lexical_text
from qa.text.sentences import split_sentences
from qa.types import Document, Page
from tests.conftest import FIXTURES
from tests.qa.corpus import chunk_document

SMALL = Settings(chunk_min_words=8, chunk_max_words=20)


def _sentence(i: int) -> str:
    return f"Harbour crews checked buoy number {i} at dawn and logged its light."


def test_long_paragraph_is_cut_between_whole_sentences() -> None:
    sentences = [f"Crews checked buoy {i} at dawn." for i in range(9)]
    doc = Document(id="d", title="t", text=" ".join(sentences))
    chunks = chunk_document(doc, SMALL)
    assert len(chunks) == 3
    for chunk in chunks:
        assert len(chunk.text.split()) <= SMALL.chunk_max_words
        assert all(s.text in sentences for s in split_sentences(chunk.text))
    assert " ".join(c.text for c in chunks) == doc.text


def test_sentence_longer_than_the_window_is_cut_between_words() -> None:
    words = [f"w{i}" for i in range(50)]
    (a, b, c) = chunk_document(Document(id="d", title="t", text=" ".join(words)), SMALL)
    assert [len(x.text.split()) for x in (a, b, c)] == [20, 20, 10]


def test_tiny_paragraphs_merge_within_a_section_only() -> None:
    text = "# Ships\n\nTugs wait.\n\nFerries run.\n\n# Weather\n\nFog lifts."
    chunks = chunk_document(Document(id="d", title="t", text=text), SMALL)
    assert [(c.section, c.text) for c in chunks] == [
        ("Ships", "Ships\nTugs wait.\nFerries run."),
        ("Weather", "Weather\nFog lifts."),
    ]
    assert all(c.pages == () for c in chunks)


def test_a_side_heading_leads_the_text_under_it_not_the_chunk_before() -> None:
    before, after = _sentence(1), f"{_sentence(2)} {_sentence(3)}"
    text = f"# Ships\n\n{before}\n\n| Tugs |\n\n{after}"
    chunks = chunk_document(Document(id="d", title="t", text=text), Settings(8, 40))
    assert [(c.section, c.text) for c in chunks] == [
        ("Ships", f"Ships\n{before}"),
        ("Ships", f"Tugs\n{after}"),
    ]


def test_paragraphs_of_good_size_stay_apart() -> None:
    first, second = _sentence(1) + " " + _sentence(2), _sentence(3) + " " + _sentence(4)
    doc = Document(id="d", title="t", text=f"{first}\n\n{second}")
    assert [c.text for c in chunk_document(doc, Settings(8, 40))] == [first, second]


def test_chunk_cites_only_the_pages_its_text_lies_on() -> None:
    page_one = " ".join(_sentence(i) for i in range(3)) + " The crews asked for"
    page_two = "more boats in winter. " + " ".join(_sentence(i) for i in range(3, 6))
    doc = Document(id="d", title="Review", pages=(Page(7, page_one), Page(8, page_two)))
    chunks = chunk_document(doc, SMALL)
    crossing = [c for c in chunks if "asked for more boats in winter." in c.text]
    assert [c.pages for c in crossing] == [(7, 8)]
    assert chunks[0].pages == (7,)
    assert chunks[-1].pages == (8,)


def test_a_chunk_using_an_acronym_defined_elsewhere_carries_its_long_form() -> None:
    defined = "The harbour watch posts (WPs) were built in 2029 along the northern breakwater."
    used = "Two WPs were closed in the winter of 2031 after the storm damaged the breakwater."
    doc = Document(id="d", title="Review", text=f"{defined}\n\n{used}")
    first, second = chunk_document(doc, Settings(8, 20))
    assert first.glossary == ()  # it spells the long form out itself
    assert second.glossary == ("WP: watch posts",)
    # Both retrievers read the long form with the text: "watch posts" finds "Two WPs".
    assert dense_text(second).endswith("\nWP: watch posts")
    assert lexical_text(second).endswith("\nWP: watch posts")
    assert "watch posts" not in second.text


def test_ids_are_stable_and_carry_document_fields() -> None:
    doc = Document(id="harbour", title="Harbour Review", text=_sentence(1), source="h.txt")
    (chunk,) = chunk_document(doc)
    assert chunk_document(doc)[0].id == chunk.id
    assert (chunk.doc_id, chunk.title, chunk.source) == ("harbour", "Harbour Review", "h.txt")
    other = Document(id="other", title="Harbour Review", text=_sentence(1))
    assert chunk_document(other)[0].id != chunk.id


def test_page_export_fixture_end_to_end() -> None:
    files = sorted((FIXTURES / "page_export").iterdir())
    pages = [parse_page_export(f.read_text(encoding="utf-8"), str(f)) for f in files]
    (doc,) = group_page_exports(pages)
    chunks = chunk_document(clean_document(doc))
    text = "\n".join(c.text for c in chunks)
    assert "their firm support" in text
    assert "the harbour master is confident" in text
    assert "Harbour Safety Review 2031" not in text
    assert "\u00a0" not in text
    assert "P. 14" not in text


@pytest.mark.shared
def test_shared_export_sample(shared: Path) -> None:
    files = sorted((shared / "corpus" / "page-export-sample").glob("*.txt"))
    pages = [parse_page_export(f.read_text(encoding="utf-8"), str(f)) for f in files]
    (doc,) = group_page_exports(pages)
    chunks = chunk_document(clean_document(doc))
    assert {c.pages for c in chunks} == {(232,)}
    assert all(c.doc_id == doc.id and c.title == "2020 Defence White Paper" for c in chunks)
    text = "\n".join(c.text for c in chunks)
    assert "their firm determination" in text
    assert "the ROK government is striving to raise" in text
    for furniture in ("f rm", "Page 232 -", "P. 232", "2020 Defense White Paper", "\u00a0"):
        assert furniture not in text


@pytest.mark.shared
def test_shared_white_paper_pages(shared: Path) -> None:
    files = sorted((shared / "corpus" / "rok-dwp-2020-pages").glob("*.txt"))
    pages = [parse_page_export(f.read_text(encoding="utf-8"), str(f)) for f in files]
    (doc,) = group_page_exports(pages)
    assert [p.number for p in doc.pages or ()] == list(range(2, 453))
    chunks = chunk_document(clean_document(doc))
    text = "\n".join(c.text for c in chunks)
    assert text.count(" f ") < 3
    crossing = [c for c in chunks if "and asked for their unwavering support" in c.text]
    assert [c.pages for c in crossing] == [(231, 232)]
    assert max(len(c.text.split()) for c in chunks) <= Settings().chunk_max_words


_WORD = re.compile(r"[A-Za-z]{2,}")
# Cells the PDF converter invents for a table's missing headers ("Col3") are no words of a page.
_PLACEHOLDER = re.compile(r"\bCol\d+\b")


@pytest.mark.shared
def test_every_page_of_the_2020_paper_keeps_its_words_in_chunks(shared: Path) -> None:
    files = sorted((shared / "corpus" / "rok-dwp-2020-pages").glob("*.txt"))
    pages = [parse_page_export(f.read_text(encoding="utf-8"), str(f)) for f in files]
    (doc,) = group_page_exports(pages)
    cleaned = clean_document(doc)
    near: dict[int, set[str]] = {}
    for chunk in chunk_document(cleaned):
        words = {w.lower() for w in _WORD.findall(f"{chunk.block_label or ''} {chunk.text}")}
        for number in range(chunk.pages[0] - 1, chunk.pages[-1] + 2):
            near.setdefault(number, set()).update(words)
    short = {}
    for page in cleaned.pages or ():
        words = [w.lower() for w in _WORD.findall(_PLACEHOLDER.sub(" ", page.text))]
        kept = sum(w in near.get(page.number, set()) for w in words)
        if words and kept / len(words) < 0.98:
            short[page.number] = round(kept / len(words), 3)
    assert short == {}
