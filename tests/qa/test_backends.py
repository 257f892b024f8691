"""The engine's contract, the same on both index backends: the index folder and Milvus Lite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa import Engine
from qa.errors import IndexNotFound, UnknownDocument
from qa.settings import Settings
from tests.fakes import FakeEncoder
from tests.qa.corpus import ARCTIC, DESERT, HARBOUR, harbour_page

BACKENDS = [
    pytest.param("folder", id="folder"),
    pytest.param("milvus", id="milvus", marks=pytest.mark.milvus),
]


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    backend = request.param
    options: dict[str, str] = {"backend": backend}
    if backend == "milvus":
        pytest.importorskip("pymilvus")
        pytest.importorskip("milvus_lite")
        options["milvus_uri"] = str(tmp_path / "citeqa.db")
    opened = Engine.open(tmp_path / "index", encoder=FakeEncoder(), **options)
    yield opened
    opened.close()
    if backend == "milvus":
        from milvus_lite import server_manager_instance

        server_manager_instance.release_server(options["milvus_uri"])


def test_add_search_and_ask_cite_the_page(engine: Engine) -> None:
    summary = engine.add([ARCTIC, DESERT])
    assert set(summary.added) == {ARCTIC.id, DESERT.id}
    assert len(engine) == sum(d.chunks for d in engine.documents()) > 0

    hit = engine.search("ice-capable patrol vessels polar", k=3)[0]
    assert hit.chunk.doc_id == ARCTIC.id and hit.chunk.pages == (12,)
    answer = engine.ask("How many ice-capable patrol vessels will the navy commission?")
    assert answer.found
    assert answer.citations[0].doc_id == ARCTIC.id and answer.citations[0].pages == (12,)
    assert answer.citations[0].quote in engine.page_text(ARCTIC.id, [12]).replace("\n", " ")


def test_a_document_filter_keeps_to_those_documents(engine: Engine) -> None:
    engine.add([ARCTIC, DESERT])
    hits = engine.search("patrol", k=5, docs=[DESERT.id])
    assert hits and {h.chunk.doc_id for h in hits} == {DESERT.id}
    with pytest.raises(UnknownDocument):
        engine.search("patrol", docs=["no-such-document"])


def test_reindexing_unchanged_documents_embeds_nothing(engine: Engine) -> None:
    engine.add([ARCTIC, DESERT])
    again = engine.add([ARCTIC, DESERT])
    assert set(again.unchanged) == {ARCTIC.id, DESERT.id}
    assert again.chunks_embedded == 0


def test_removing_a_document_takes_it_out_of_search(engine: Engine) -> None:
    engine.add([ARCTIC, DESERT])
    assert engine.remove(DESERT.id).removed == (DESERT.id,)
    assert [d.doc_id for d in engine.documents()] == [ARCTIC.id]
    assert all(h.chunk.doc_id == ARCTIC.id for h in engine.search("desert towers", k=5))
    with pytest.raises(UnknownDocument):
        engine.remove(DESERT.id)


def test_a_reader_never_creates_an_index(tmp_path: Path) -> None:
    pytest.importorskip("milvus_lite")
    with pytest.raises(IndexNotFound):
        Engine.open(
            tmp_path / "index",
            encoder=FakeEncoder(),
            backend="milvus",
            milvus_uri=str(tmp_path / "missing.db"),
            create=False,
        )


def test_pages_exported_in_batches_join_their_book(engine: Engine, tmp_path: Path) -> None:
    first, second = tmp_path / "monday", tmp_path / "tuesday"
    for folder, numbers in ((first, (1, 2)), (second, (3,))):
        folder.mkdir()
        for number in numbers:
            (folder / f"p{number}.txt").write_text(harbour_page(number), encoding="utf-8")
    engine.add([first])
    engine.add([second])
    (book,) = engine.documents()
    assert book.title == HARBOUR and book.pages == 3
    hit = engine.search("breakwater section 3 rebuilt", k=1)[0]
    assert 3 in hit.chunk.pages


def test_a_cited_page_opens_whole_and_the_overview_reads_the_documents(engine: Engine) -> None:
    engine.add([ARCTIC, DESERT])
    view = engine.page(ARCTIC.id, 12, quote="four ice-capable patrol vessels")
    assert (view.previous, view.next, view.count) == (None, 13, 2)
    assert [view.text[a:b] for a, b in view.highlights] == ["four ice-capable patrol vessels"]
    with pytest.raises(UnknownDocument, match="has no page 14"):
        engine.page(ARCTIC.id, 14)
    overview = engine.overview()
    assert (overview.documents, overview.pages) == (2, 4)
    assert overview.chunks == len(engine) and overview.updated_at is not None


def test_a_folder_indexed_one_document_per_batch_is_whole_and_resumes(
    engine: Engine, tmp_path: Path
) -> None:
    from tests.qa.indexing.test_batches import write_reports

    questions = write_reports(tmp_path / "docs", 5)
    engine.settings = engine.settings.with_overrides(batch_chars=1)
    summary = engine.add(tmp_path / "docs")
    assert len(summary.added) == 5
    for name, question in questions.items():
        assert engine.search(question, k=1)[0].chunk.source == name
    (tmp_path / "docs" / "report-01.md").unlink()
    again = engine.add(tmp_path / "docs")
    assert again.removed == ("report-01",) and len(again.unchanged) == 4
    assert again.chunks_embedded == 0


def test_faiss_is_the_folder_backends_old_name(caplog: pytest.LogCaptureFixture) -> None:
    assert Settings(backend="faiss").backend == "folder"
    assert "now called 'folder'" in caplog.text
