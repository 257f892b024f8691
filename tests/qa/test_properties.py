"""Property tests: random bytes and random page layouts never crash loading or cleaning.

Loaders may only refuse a file with IngestError (never the catch-all "cannot read: ..." that
``load_paths`` keeps for unexpected library failures); cleaners and the chunker never raise.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.clean import clean_document, paragraphs
from qa.errors import IngestError
from qa.ingest import load_paths
from qa.ingest.detect import Detected, detect_format
from qa.settings import Settings
from qa.types import Document, Page
from tests.qa.corpus import chunk_document

BOUNDED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SUFFIXES = [".txt", ".md", ".html", ".htm", ".jsonl", ".pdf", ".docx", ".json", ""]

_word = st.sampled_from(
    [
        "the", "defence", "of", "f", "rst", "inf", "luence", "off", "icers", "impor", "tant",
        "non", "traditional", "Ministry", "MND", "2020", "232", "Korea", "–", "—", "…", "ﬁ",
        "é", "\u00a0", "\u200b", "naïve", "A.", "e.g.", "(", ")", "|", "*", "**", "#", "-", ".",
    ]
)  # fmt: skip
_words = st.lists(st.one_of(_word, st.text(max_size=8)), min_size=1, max_size=12).map(" ".join)
_number = st.integers(min_value=0, max_value=99_999)
_depth = st.sampled_from([10, 100, 1000, 3000])
_line = st.one_of(
    _words,
    _words.map(lambda text: text + "-"),  # a line-end hyphen
    _words.map(lambda text: text + " of f"),  # a ligature split across the line end
    st.tuples(st.integers(0, 40), _words).map(lambda pair: " " * pair[0] + pair[1]),
    st.tuples(st.integers(1, 7), _words).map(lambda pair: "#" * pair[0] + " " + pair[1]),
    _number.map(lambda n: f"#### {n}"),
    st.tuples(_number, _words).map(lambda pair: f"Page {pair[0]} - {pair[1]}\nP. {pair[0]}"),
    st.lists(_number, min_size=1, max_size=8).map(lambda ns: "\u00a0 ".join(map(str, ns))),
    st.lists(_words, min_size=1, max_size=4).map(lambda cells: "| " + " | ".join(cells) + " |"),
    st.sampled_from(["|---|---|", "| :--- | ---: |", "---", "***", "___"]),
    _words.map(lambda alt: f"![{alt}](figure.png)"),
    st.sampled_from(["", "", "-----", "-----  ", "\f", "\r", "\t", "<html>", "<p>", "{"]),
    st.text(max_size=30),
    # Nesting deeper than Python's recursion limit, for parsers that recurse.
    _depth.map(lambda n: '{"a": ' + "[" * n),
    _depth.map(lambda n: "<div><b>" * n),
)
layouts = st.lists(_line, max_size=40).map("\n".join)


def _load_one(data: bytes, suffix: str) -> tuple[tuple[Document, ...], tuple[IngestError, ...]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"file{suffix}"
        path.write_bytes(data)
        result = load_paths([path], Settings(max_pages=50))
    for error in result.errors:
        assert isinstance(error, IngestError)
        assert not error.reason.startswith("cannot read:"), error
    return result.documents, result.errors


def _check_pipeline(doc: Document) -> None:
    """Cleaning, paragraphs and chunking never raise and keep their promises."""
    cleaned = clean_document(doc)
    assert cleaned.id == doc.id
    assert cleaned.page_count == doc.page_count
    page_numbers = {page.number for page in cleaned.pages or ()}
    for paragraph in paragraphs(cleaned):
        assert set(paragraph.pages) <= page_numbers
    limits = Settings(chunk_min_words=5, chunk_max_words=20)
    for chunk in chunk_document(cleaned, limits):
        assert chunk.text.strip()
        assert len(chunk.text.split()) <= limits.chunk_max_words
        assert set(chunk.pages) <= page_numbers


@BOUNDED
@given(data=st.binary(max_size=2000), suffix=st.sampled_from(SUFFIXES))
def test_detect_format_on_random_bytes_returns_a_format_or_an_ingest_error(
    data: bytes, suffix: str
) -> None:
    try:
        detected = detect_format(data, f"file{suffix}")
    except IngestError as error:
        assert error.path == f"file{suffix}"
        return
    assert isinstance(detected, Detected)


@BOUNDED
@given(
    head=st.sampled_from([b"", b"%PDF-1.4\n", b"PK\x03\x04", b"\xff\xfe", b"<html>", b"{"]),
    data=st.binary(max_size=2000),
    suffix=st.sampled_from(SUFFIXES),
)
def test_load_paths_on_random_bytes_raises_nothing_but_reports_ingest_errors(
    head: bytes, data: bytes, suffix: str
) -> None:
    documents, errors = _load_one(head + data, suffix)

    assert len(documents) + len(errors) >= 1


@BOUNDED
@given(
    text=layouts,
    suffix=st.sampled_from([".txt", ".md", ".html", ".jsonl"]),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_random_text_layouts_load_and_run_through_cleaning_and_chunking(
    text: str, suffix: str, encoding: str
) -> None:
    documents, _ = _load_one(text.encode(encoding, errors="replace"), suffix)

    for doc in documents:
        _check_pipeline(doc)


@BOUNDED
@given(
    texts=st.lists(layouts, max_size=6),
    first=st.integers(min_value=1, max_value=500),
    as_pages=st.booleans(),
)
def test_cleaners_and_chunker_never_raise_on_random_layouts(
    texts: list[str], first: int, as_pages: bool
) -> None:
    if as_pages:
        pages = tuple(Page(first + i, text) for i, text in enumerate(texts))
        doc = Document(id="doc", title="Doc", pages=pages)
    else:
        doc = Document(id="doc", title="Doc", text="\n".join(texts))

    _check_pipeline(doc)
