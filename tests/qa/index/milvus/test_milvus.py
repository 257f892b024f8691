"""The Milvus index contract, against embedded Milvus Lite.

One Milvus Lite file serves the whole module (starting one costs ~0.5 s); each test gets its
own collection prefix, so tests do not see each other's documents.
"""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from qa.answer.citations import quote_pages
from qa.encoder import embed_key
from qa.errors import IndexBusy, IndexNotFound, ModelMismatch
from qa.index.base import Ranking
from qa.index.milvus import update as milvus_update
from qa.index.milvus.index import MilvusIndex
from qa.index.milvus.lease import LEASE_KEY
from qa.index.milvus.rows import DUMMY_VECTOR, MAX_VARCHAR_BYTES, split_utf8
from qa.index.milvus.search import ScoredChunk
from qa.index.records import DocumentRecord, StoredChunk
from qa.indexing.pipeline import content_hash, prepare_documents
from qa.text.fields import dense_text
from qa.types import Document, Page
from tests.fakes import FakeEncoder
from tests.qa.corpus import ARCTIC, DESERT

pytestmark = pytest.mark.milvus

ENCODER = FakeEncoder()
_PREFIXES = itertools.count()
REPO = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="module")
def uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from milvus_lite import server_manager_instance

    path = str(tmp_path_factory.mktemp("milvus") / "citeqa.db")
    yield path
    server_manager_instance.release_server(path)


def _open(
    uri: str,
    prefix: str,
    encoder: FakeEncoder = ENCODER,
    local: Path | None = None,
    **options: object,
) -> MilvusIndex:
    """The index under ``prefix``; this machine's part (the embedding cache) in ``local``,
    by default beside the Milvus Lite file."""
    options.setdefault("lease_settle", 0.05)
    folder = local or Path(uri).with_name(f"{prefix}-local")
    index = MilvusIndex(folder, uri, prefix=prefix, **options)  # type: ignore[arg-type]
    return index.open(encoder.fingerprint, encoder.dimension)


@pytest.fixture
def prefix() -> str:
    return f"t{next(_PREFIXES)}"


@pytest.fixture
def index(uri: str, prefix: str) -> Iterator[MilvusIndex]:
    opened = _open(uri, prefix)
    yield opened
    opened.close()


def records(docs: Sequence[Document]) -> tuple[list[DocumentRecord], dict[str, np.ndarray]]:
    """What an update writes for ``docs``: cleaned pages, chunks, and their vectors."""
    out, vectors = [], {}
    loaded = {doc.id: doc for doc in docs}
    for item in prepare_documents(docs):
        doc = item.document
        stored = tuple(StoredChunk(c, embed_key(dense_text(c))) for c in item.chunks)
        encoded = ENCODER.encode([dense_text(s.chunk) for s in stored])
        vectors.update(zip((s.embed_key for s in stored), encoded, strict=True))
        book = loaded[doc.id].pages or () if loaded[doc.id].is_book else ()
        out.append(
            DocumentRecord(
                doc.id,
                doc.title,
                doc.source,
                doc.origin,
                content_hash(loaded[doc.id]),
                doc.page_count,
                stored,
                doc.pages or (),
                book,
            )
        )
    return out, vectors


def add(index: MilvusIndex, *docs: Document) -> None:
    written, vectors = records(docs)
    index.apply(written, (), vectors)


def _scored(index: MilvusIndex, ranking: Ranking) -> list[ScoredChunk]:
    return [
        ScoredChunk(index.chunk(i), s) for i, s in zip(ranking.ids, ranking.scores, strict=True)
    ]


def dense(
    index: MilvusIndex, vector: np.ndarray, depth: int, docs: Sequence[str] | None = None
) -> list[ScoredChunk]:
    return _scored(index, index.search_dense(vector, depth, docs))


def lexical(
    index: MilvusIndex, text: str, depth: int, docs: Sequence[str] | None = None
) -> list[ScoredChunk]:
    return _scored(index, index.search_lexical(text, depth, docs))


def best(found: Sequence[ScoredChunk]) -> str:
    return found[0].chunk.text


def test_dense_and_lexical_search_rank_the_answering_chunk_first(
    index: MilvusIndex,
) -> None:
    add(index, ARCTIC, DESERT)
    question = "solar-powered surveillance towers on the desert frontier"
    vector = ENCODER.encode([question])[0]

    assert "surveillance towers" in best(dense(index, vector, 3))
    assert "surveillance towers" in best(lexical(index, question, 3))
    hit = lexical(index, question, 1)[0]
    assert hit.chunk.doc_id == "southmark-2029"
    assert hit.chunk.title == "Southmark Security Strategy 2029"
    assert hit.chunk.pages == (4,)
    assert hit.chunk.source == "southmark.txt"
    assert hit.score > 0


def test_lexical_search_reads_citeqa_terms(index: MilvusIndex) -> None:
    add(index, ARCTIC, DESERT)
    # British spelling and plural in the text; American spelling and singular in the query.
    assert "air defence batteries" in best(lexical(index, "air defense battery", 1))
    assert "2.4 percent" in best(lexical(index, "2.4 percent", 1))
    assert lexical(index, "the of and", 5) == []


def test_documents_are_listed_with_their_counts(index: MilvusIndex) -> None:
    assert index.documents() == []
    add(index, ARCTIC, DESERT)
    listed = {info.doc_id: info for info in index.documents()}
    assert set(listed) == {"northland-2031", "southmark-2029"}
    assert listed["northland-2031"].pages == 2
    assert listed["northland-2031"].chunks >= 1
    assert len(index) == sum(info.chunks for info in listed.values())
    assert index.document_hashes()["southmark-2029"] == content_hash(DESERT)
    assert index.document_titles()["northland-2031"] == "Northland Defence Review 2031"


def test_document_filter_keeps_to_the_documents_named_even_with_quotes_in_ids(
    index: MilvusIndex,
) -> None:
    odd = replace(ARCTIC, id='north"land\\ 2031\'s "review"\nedition')
    add(index, odd, DESERT)
    question = "ice-capable patrol vessels"
    vector = ENCODER.encode([question])[0]
    for found in (
        dense(index, vector, 5, docs=[odd.id]),
        lexical(index, question, 5, docs=[odd.id]),
    ):
        assert found and {f.chunk.doc_id for f in found} == {odd.id}
    assert all(
        f.chunk.doc_id == "southmark-2029"
        for f in lexical(index, "patrol vessels drone", 5, docs=["southmark-2029"])
    )
    assert lexical(index, question, 5, docs=[]) == []
    assert index.page_text(odd.id, [12]) is not None


def test_replacing_a_document_leaves_no_trace_of_the_old_text(index: MilvusIndex) -> None:
    add(index, ARCTIC, DESERT)
    changed_page = Page(5, "# Water\n\nAquifers are recharged by a new pipeline from the hills.")
    add(index, replace(DESERT, pages=(DESERT.pages[0], changed_page)))

    texts = " ".join(f.chunk.text for f in lexical(index, "aquifers falling metre", 10))
    assert "new pipeline" in texts
    assert "falling by one metre" not in texts
    assert "falling by one metre" not in (index.page_text("southmark-2029", [5]) or "")
    vector = ENCODER.encode(["aquifers falling"])[0]
    assert len(dense(index, vector, 50)) == len(index)


def test_removing_a_document(index: MilvusIndex) -> None:
    add(index, ARCTIC, DESERT)
    index.apply([], ["southmark-2029"], {})
    assert [info.doc_id for info in index.documents()] == ["northland-2031"]
    assert lexical(index, "surveillance towers desalination", 5) == []
    assert index.page_text("southmark-2029", [4]) is None
    assert index.book_pages("southmark-2029") == ()


def test_book_pages_keep_their_files_and_loaded_text(index: MilvusIndex) -> None:
    book = Document(
        id="harbour",
        title="Harbour Works Plan",
        pages=(
            Page(1, "The breakwater was rebuilt with granite blocks in 1907.", "/pages/p1.txt"),
            Page(2, "Crews logged tide heights at dawn and sent them on.", "/pages/p2.txt"),
        ),
    )
    add(index, book)
    assert index.page_origins() == {
        "/pages/p1.txt": ("harbour", 1),
        "/pages/p2.txt": ("harbour", 2),
    }
    pages = index.book_pages("harbour")
    assert [(p.number, p.origin) for p in pages] == [(1, "/pages/p1.txt"), (2, "/pages/p2.txt")]
    assert pages[0].text == book.pages[0].text
    assert index.document_origins() == {"harbour": None}


def test_quote_pages_finds_the_page_or_the_page_break_holding_a_quote(
    index: MilvusIndex,
) -> None:
    add(index, ARCTIC)
    doc = "northland-2031"
    assert quote_pages(index, doc, [12, 13], "a crew of sixty sailors") == (12,)
    assert quote_pages(index, doc, [12, 13], "Parliament reviews the procurement plan") == (13,)
    # Stored pages hold prose first, headings after it: a quote runs from one page's prose on.
    spanning = "joint maritime operations centre. Defence spending rises"
    assert quote_pages(index, doc, [12, 13], spanning) == (12, 13)
    assert quote_pages(index, doc, [12, 13], "submarines") == ()
    assert quote_pages(index, "no-such-document", [12], "crew") == ()


def test_a_page_over_the_field_limit_round_trips(index: MilvusIndex) -> None:
    long_text = "Tables of figures. " + "Numbers ÷ ratios, ünits; " * 4000
    assert len(long_text.encode()) > 1.5 * MAX_VARCHAR_BYTES
    written, vectors = records([DESERT])
    long_page = Page(9, long_text)
    record = replace(written[0], pages=(*written[0].pages, long_page))
    index.apply([record], (), vectors)
    assert index.page_text("southmark-2029", [9]) == long_text


@pytest.mark.parametrize("text", ["", "abc", "é" * 10, "a" + "€" * 9, "😀x" * 7])
def test_split_utf8_cuts_between_characters(text: str) -> None:
    pieces = split_utf8(text, limit=5)
    assert "".join(pieces) == text
    assert all(len(piece.encode()) <= 5 for piece in pieces)
    assert all(pieces[:-1])


def test_two_indexes_on_one_uri_see_each_others_writes(uri: str, prefix: str) -> None:
    first, second = _open(uri, prefix), _open(uri, prefix)
    add(first, ARCTIC)
    assert [info.doc_id for info in second.documents()] == ["northland-2031"]
    add(second, DESERT)
    assert "surveillance towers" in best(lexical(first, "surveillance towers", 1))
    second.apply([], ["northland-2031"], {})
    assert {f.chunk.doc_id for f in lexical(first, "ice-capable patrol vessels", 5)} == {
        "southmark-2029"
    }


def test_a_restarted_process_reopens_the_index(tmp_path: Path) -> None:
    from milvus_lite import server_manager_instance

    path = str(tmp_path / "restart.db")
    first = _open(path, "citeqa")
    add(first, ARCTIC)
    first.close()
    server_manager_instance.release_server(path)  # what the process's exit does

    reopened = MilvusIndex(tmp_path / "local", path).open(
        ENCODER.fingerprint, ENCODER.dimension, create=False
    )
    assert [info.doc_id for info in reopened.documents()] == ["northland-2031"]
    assert "ice-capable" in best(lexical(reopened, "ice-capable patrol vessels", 1))
    reopened.close()
    server_manager_instance.release_server(path)


def test_stored_vectors_are_found_by_embed_key(index: MilvusIndex) -> None:
    written, vectors = records([ARCTIC])
    index.apply(written, (), vectors)
    key = written[0].chunks[0].embed_key
    found = index.stored_vectors([key, "not-a-key"])
    assert list(found) == [key]
    np.testing.assert_allclose(found[key], vectors[key], rtol=1e-6)


def test_another_model_is_refused_and_reading_never_creates(uri: str, prefix: str) -> None:
    _open(uri, prefix)
    with pytest.raises(ModelMismatch, match="rebuild"):
        _open(uri, prefix, FakeEncoder(dimension=32))
    with pytest.raises(IndexNotFound, match="citeqa index"):
        MilvusIndex(Path(uri).with_name("x-local"), uri, prefix=f"{prefix}_x").open(
            "m", 8, create=False
        )
    missing = str(Path(uri).with_name("absent.db"))
    with pytest.raises(IndexNotFound):
        MilvusIndex(Path(uri).with_name("absent-local"), missing).open("m", 8, create=False)
    assert not Path(missing).exists()


def test_bad_input_is_refused_before_anything_is_written(index: MilvusIndex) -> None:
    written, vectors = records([ARCTIC, DESERT])
    missing = dict(vectors)
    del missing[written[1].chunks[0].embed_key]
    with pytest.raises(ValueError, match="no vector"):
        index.apply(written, (), missing)
    with pytest.raises(ValueError, match="finite"):
        index.apply(written, (), {k: v[:3] for k, v in vectors.items()})
    assert index.documents() == []
    with pytest.raises(ValueError, match=r"\.db"):
        MilvusIndex(index.folder, "citeqa")


def test_a_crash_mid_update_shows_the_old_version_until_the_next_writer_cleans_up(
    uri: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, reader = _open(uri, prefix), _open(uri, prefix)
    add(writer, ARCTIC, DESERT)
    before = len(reader)
    changed = Page(5, "# Water\n\nAquifers are recharged by a new pipeline from the hills.")
    new_desert = replace(DESERT, pages=(DESERT.pages[0], changed))

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("killed")

    # Dies after writing the new rows, before switching the document to them.
    monkeypatch.setattr(milvus_update, "document_row", killed)
    with pytest.raises(KeyboardInterrupt):
        add(writer, new_desert)
    monkeypatch.undo()

    texts = [f.chunk.text for f in lexical(reader, "aquifers water pipeline", 10)]
    assert any("falling by one metre" in t for t in texts)
    assert not any("new pipeline" in t for t in texts)
    assert len(texts) == len(set(texts))
    vector = ENCODER.encode(["water"])[0]
    assert len(dense(reader, vector, 50)) == before

    def stored() -> int:
        rows = reader.client.query(reader.names.chunks, filter='key != ""', output_fields=["key"])
        return len(rows)

    assert stored() > before
    with reader.writing():  # the next writer cleans up what the dead one left
        pass
    assert stored() == before
    add(reader, new_desert)
    assert "new pipeline" in best(lexical(writer, "aquifers pipeline hills", 1))


def test_writers_queue_on_the_lease(uri: str, prefix: str) -> None:
    first, second = _open(uri, prefix), _open(uri, prefix)
    with first.writing():
        with pytest.raises(IndexBusy, match="writing"), second.writing(wait=False):
            pass
        with first.writing():  # re-entrant for its holder
            add(first, ARCTIC)
    with second.writing(wait=False):
        add(second, DESERT)
    assert len(first.documents()) == 2


def _lease_taken_by(index: MilvusIndex, holder: str, seconds: float) -> None:
    """The lease row as another writer leaves it (one that died, or took over)."""
    value = json.dumps({"holder": holder, "expires": time.time() + seconds})
    row = {"key": LEASE_KEY, "value": value, "dummy": DUMMY_VECTOR}
    index.client.upsert(index.names.meta, [row])


def test_a_dead_writers_lease_runs_out(uri: str, prefix: str) -> None:
    index = _open(uri, prefix)
    _lease_taken_by(index, "crashed-host:4242:abcd", seconds=1.0)
    with pytest.raises(IndexBusy, match="crashed-host"), index.writing(wait=False):
        pass
    time.sleep(1.2)
    with index.writing(wait=False):
        add(index, ARCTIC)
    assert len(index.documents()) == 1


def test_a_writer_that_lost_its_lease_stops_before_writing(uri: str, prefix: str) -> None:
    index = _open(uri, prefix, lease_seconds=0.6)
    with index.writing():
        _lease_taken_by(index, "other-host:1:ffff", seconds=60)
        time.sleep(1.5)  # the holder looks at the lease every third of its life
        with pytest.raises(IndexBusy, match="lost the writer lease"):
            add(index, ARCTIC)
    assert index.documents() == []


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A Milvus Lite server in a process of its own: its address and its data file."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = tmp_path / "shared.db"
    command = [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data)]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", data
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.slow
def test_processes_sharing_a_milvus_server_serve_one_index(server: tuple[str, Path]) -> None:
    address, data = server
    reader = _open(address, "shared", local=data.with_name("reader"))
    writer = textwrap.dedent(
        f"""
        from tests.qa.corpus import ARCTIC
        from pathlib import Path
        from tests.qa.index.milvus.test_milvus import _open, add
        add(_open({address!r}, "shared", local=Path({str(data.with_name("writer"))!r})), ARCTIC)
        """
    )
    subprocess.run([sys.executable, "-c", writer], cwd=REPO, check=True, timeout=120)
    assert [info.doc_id for info in reader.documents()] == ["northland-2031"]
    assert "ice-capable" in best(lexical(reader, "ice-capable patrol vessels", 1))
    # The server's process holds the file: opening it embedded says how to share it instead.
    with pytest.raises(IndexBusy, match="milvus-lite server"):
        MilvusIndex(data.with_name("local"), str(data)).open(ENCODER.fingerprint, ENCODER.dimension)
