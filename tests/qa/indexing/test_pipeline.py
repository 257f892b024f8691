from __future__ import annotations

import shutil
from pathlib import Path

from qa.indexing.pipeline import chunk_documents, chunk_paths
from qa.types import Document, Page
from tests.conftest import FIXTURES

DOCS = FIXTURES / "documents"


def test_chunks_of_a_paged_file_cite_the_pages_their_text_is_on() -> None:
    result = chunk_paths([DOCS / "harbor_2031_CoastalDefenceReview.txt"])

    assert result.errors == ()
    (doc,) = result.documents
    stations = next(c for c in result.chunks if "four new stations" in c.text)
    assert stations.pages == (4,)
    assert stations.doc_id == doc.id == "harbor_2031_CoastalDefenceReview"
    assert stations.title == "Harbor 2031 Coastal Defence Review"
    for chunk in result.chunks:
        assert "![" not in chunk.text
        assert "|---" not in chunk.text


def test_a_folder_gives_chunks_for_every_readable_file_and_errors_for_the_rest(
    tmp_path: Path,
) -> None:
    for name in ("field-notes.md", "briefing.html", "records.jsonl", "lakeland.txt"):
        shutil.copy(DOCS / name, tmp_path / name)
    (tmp_path / "empty.txt").write_bytes(b"")

    result = chunk_paths([tmp_path])

    assert {c.doc_id for c in result.chunks} == {
        "field-notes",
        "briefing",
        "memo-7",
        "42",
        "lakeland",
    }
    assert [Path(e.path).name for e in result.errors] == ["empty.txt"]
    notes = next(c for c in result.chunks if "relay towers" in c.text.lower())
    assert notes.pages == ()
    assert notes.source == "field-notes.md"


def test_documents_passed_directly_are_cleaned_and_chunked() -> None:
    doc = Document(
        id="dune-plan",
        title="Dune Plan",
        pages=(
            Page(5, "# Sand walls\n\nEngineers raise sand walls around the desert outposts."),
            Page(6, "Water trucks visit each outpost every second day."),
        ),
    )

    chunks = chunk_documents([doc])

    assert chunks
    assert all(c.doc_id == "dune-plan" for c in chunks)
    assert {p for c in chunks for p in c.pages} == {5, 6}
    assert chunk_documents([]) == []
