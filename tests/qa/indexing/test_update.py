from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa import Engine, Settings
from qa.index.folder.layout import DATABASE
from qa.index.records import DocumentInfo
from qa.types import Page
from tests.fakes import FakeEncoder
from tests.qa.corpus import ARCTIC, DESERT, HARBOUR, export_page, harbour_page


class _LastBatchFirst(FakeEncoder):
    """A streaming encoder handing batches back last first, as workers that finish at different
    times do (see ``qa.encoder.StreamingEncoder``)."""

    def encode_stream(self, texts: Sequence[str]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for start in reversed(range(0, len(texts), 3)):
            rows = np.arange(start, min(start + 3, len(texts)))
            yield rows, self.encode([texts[i] for i in rows])


def test_unchanged_documents_are_not_reembedded(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    engine = Engine.open(tmp_path / "index", encoder=encoder)
    first = engine.add([ARCTIC, DESERT])
    assert set(first.added) == {"northland-2031", "southmark-2029"}
    assert first.chunks_embedded > 0

    again = engine.add([ARCTIC, DESERT])
    assert again.chunks_embedded == 0
    assert set(again.unchanged) == {"northland-2031", "southmark-2029"}


def test_changing_one_document_reembeds_only_its_new_text(tmp_path: Path) -> None:
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    engine.add([ARCTIC, DESERT])
    changed_page = Page(5, "# Water\n\nAquifers are recharged by a new pipeline from the hills.")
    changed = replace(DESERT, pages=(DESERT.pages[0], changed_page))

    summary = engine.add([ARCTIC, changed])
    assert summary.updated == ("southmark-2029",)
    assert summary.unchanged == ("northland-2031",)
    assert 0 < summary.chunks_embedded <= 2
    texts = " ".join(h.chunk.text for h in engine.search("aquifers pipeline hills", k=3))
    assert "new pipeline" in texts
    assert "falling by one metre" not in texts
    engine.store.check_integrity()


def test_files_deleted_from_a_folder_leave_the_index(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "alpha.md").write_text("# Alpha\n\nThe alpha brigade trains in mountain warfare.\n")
    (folder / "beta.md").write_text("# Beta\n\nThe beta flotilla escorts merchant tankers.\n")
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    assert len(engine.add([folder]).added) == 2

    (folder / "beta.md").unlink()
    summary = engine.add([folder])
    assert len(summary.removed) == 1
    assert len(engine.documents()) == 1
    assert "alpha" in engine.search("brigade mountain warfare", k=1)[0].chunk.text


def test_a_bad_file_is_reported_and_the_rest_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nReserve forces drill every spring.\n")
    (folder / "empty.txt").write_text("")
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    summary = engine.add([folder])
    assert len(summary.added) == 1
    assert [Path(e.path).name for e in summary.errors] == ["empty.txt"]


def test_progress_reports_each_stage_up_to_its_total(tmp_path: Path) -> None:
    seen: dict[str, list[tuple[int, int]]] = {}
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("# Ice\n\nThe navy patrols the ice shelf in winter.")
    (folder / "b.txt").write_text("# Sand\n\nThe army trains in the southern desert.")
    engine.add(
        [folder],
        progress=lambda stage, done, total: seen.setdefault(stage, []).append((done, total)),
    )
    assert list(seen) == ["reading", "cleaning", "embedding", "indexing"]
    assert seen["reading"][-1] == (2, 2)
    assert seen["cleaning"][-1] == (2, 2)
    for steps in seen.values():
        assert steps[0][0] == 0
        assert steps[-1][0] == steps[-1][1] > 0


def _write_pages(folder: Path, numbers: range | list[int]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in numbers:
        path = folder / f"{number:03d}_page.txt"
        path.write_text(harbour_page(number), encoding="utf-8")
        paths.append(path)
    return paths


def _book(engine: Engine) -> DocumentInfo:
    (book,) = [d for d in engine.documents() if d.title == HARBOUR]
    return book


def _book_pages(engine: Engine) -> list[int]:
    return sorted({p for c in engine.store.chunks() if c.title == HARBOUR for p in c.pages})


def test_a_page_file_added_later_joins_its_book_and_keeps_the_other_pages(
    tmp_path: Path,
) -> None:
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    _write_pages(tmp_path / "book", range(1, 8))
    engine.add([tmp_path / "book"])
    extra = _write_pages(tmp_path / "later", [8])

    summary = engine.add(extra)

    assert summary.updated == ("harbour-works-plan",)
    assert _book(engine).pages == 8
    assert _book_pages(engine) == list(range(1, 9))
    engine.store.check_integrity()


def test_re_exporting_a_page_of_a_whole_book_keeps_every_page(tmp_path: Path) -> None:
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    _write_pages(tmp_path / "book", range(1, 13))
    engine.add([tmp_path / "book"])
    (again,) = _write_pages(tmp_path / "sample", [5])

    summary = engine.add([again.parent])

    assert summary.unchanged == ("harbour-works-plan",)
    assert _book(engine).pages == 12


def test_two_page_files_given_as_two_arguments_make_one_book_of_two_pages(
    tmp_path: Path,
) -> None:
    first, second = _write_pages(tmp_path / "pages", [231, 232])
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())

    summary = engine.add([first, second])

    assert summary.added == ("harbour-works-plan",)
    assert _book(engine).pages == 2
    assert _book_pages(engine) == [231, 232]
    reopened = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    reopened.store.check_integrity()
    assert _book(reopened).pages == 2


def test_later_pages_rebuild_the_chunk_that_crosses_into_them(tmp_path: Path) -> None:
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    _write_pages(tmp_path / "early", range(1, 10))
    engine.add([tmp_path / "early"])
    assert not any({9, 10} <= set(c.pages) for c in engine.store.chunks())

    _write_pages(tmp_path / "late", range(10, 21))
    engine.add([tmp_path / "late"])

    assert _book(engine).pages == 20
    assert _book_pages(engine) == list(range(1, 21))
    crossing = [c for c in engine.store.chunks() if {9, 10} <= set(c.pages)]
    assert crossing and "basin 69 and the" in crossing[0].text
    assert "quay team to plan for the breakwater section 10 was rebuilt" in crossing[0].text
    engine.store.check_integrity()


def test_a_deleted_page_file_leaves_only_its_page_when_the_folder_is_read_again(
    tmp_path: Path,
) -> None:
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    pages = _write_pages(tmp_path / "book", range(1, 7))
    engine.add([tmp_path / "book"])
    engine.add(_write_pages(tmp_path / "elsewhere", [7]))
    pages[2].unlink()  # page 3

    summary = engine.add([tmp_path / "book"])

    assert summary.updated == ("harbour-works-plan",)
    assert _book_pages(engine) == [1, 2, 4, 5, 6, 7]
    assert _book(engine).pages == 6
    for path in pages:
        if path.exists():
            path.unlink()
    engine.add([tmp_path / "book"])
    assert _book_pages(engine) == [7]  # the page read from the other folder stays
    engine.store.check_integrity()


def test_a_book_shows_its_folder_as_source(tmp_path: Path) -> None:
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    _write_pages(tmp_path / "exports", range(1, 4))
    engine.add([tmp_path / "exports"])
    assert _book(engine).source == "exports/"


def test_a_book_indexed_before_pages_kept_their_files_still_keeps_its_pages(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "book"
    _write_pages(folder, range(1, 7))
    Engine.open(tmp_path / "index", encoder=FakeEncoder()).add([folder])
    # What earlier versions stored: the folder as the book's origin, pages without files.
    with sqlite3.connect(tmp_path / "index" / DATABASE) as db:
        db.execute("UPDATE documents SET origin = ?", (str(folder.resolve()),))
        db.execute("UPDATE pages SET raw = NULL, origin = NULL")
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())

    engine.add(_write_pages(tmp_path / "later", [7]))

    assert _book(engine).pages == 7
    assert _book_pages(engine) == list(range(1, 8))


def test_new_chunk_sizes_rechunk_the_documents_indexed_again_and_say_why(tmp_path: Path) -> None:

    folder = tmp_path / "index"
    with Engine.open(folder, encoder=FakeEncoder()) as engine:
        engine.add([ARCTIC, DESERT])
    smaller = Settings(chunk_min_words=5, chunk_max_words=12)
    with Engine.open(folder, encoder=FakeEncoder(), settings=smaller) as engine:
        summary = engine.add([ARCTIC, DESERT])
        assert set(summary.updated) == {"northland-2031", "southmark-2029"}
        assert summary.note is not None and "chunk_max_words 170 -> 12" in summary.note
        assert "chunk_max_words 170 -> 12" in str(summary)
        assert all(
            len(c.text.split()) <= 12 for c in engine.store.chunks() if c.kind == "paragraph"
        )
        again = engine.add([ARCTIC, DESERT])
        assert again.note is None and set(again.unchanged) == {"northland-2031", "southmark-2029"}


def test_a_streaming_encoder_builds_the_same_index_in_one_job(tmp_path: Path) -> None:
    plain = Engine.open(tmp_path / "plain", encoder=FakeEncoder())
    plain.add([ARCTIC, DESERT])
    streaming = _LastBatchFirst()
    # Chunks only: the calls counted below are the chunks' batches.
    streamed = Engine.open(
        tmp_path / "streamed", encoder=streaming, settings=Settings(answer_vectors=False)
    )
    seen: list[tuple[str, int, int]] = []

    summary = streamed.add([ARCTIC, DESERT], progress=lambda *event: seen.append(event))

    embedding = [(done, total) for stage, done, total in seen if stage == "embedding"]
    assert embedding[-1] == (summary.chunks_embedded, summary.chunks_embedded)
    assert streaming.calls == -(-summary.chunks_embedded // 3)
    streamed.store.check_integrity()
    for question in ("aquifers recharged", "ice patrol", "border security"):
        assert [h.chunk.id for h in streamed.search(question)] == [
            h.chunk.id for h in plain.search(question)
        ]


def _chunk_texts(engine: Engine) -> dict[str, str]:
    return {c.id: c.text for c in engine.store.chunks()}


def test_a_book_indexed_in_batches_equals_the_book_indexed_in_one_call(tmp_path: Path) -> None:
    # The word "office" stands whole only on the first page; the split "Off ice" of a later
    # page is rejoined on that evidence, whichever batch brought which page.
    bodies = {
        1: "The harbour office opened in spring and the office staff logged every tide.",
        2: "Crews on the pier logged the tide heights and reported them at noon each day.",
        3: "The Off ice of Ports asked the crews to plan for the breakwater in autumn.",
    }
    folder = tmp_path / "pages"
    folder.mkdir()
    paths = []
    for number, body in bodies.items():
        path = folder / f"{number:03d}_page.txt"
        path.write_text(export_page(HARBOUR, number, body), encoding="utf-8")
        paths.append(path)
    whole = Engine.open(tmp_path / "whole", encoder=FakeEncoder())
    whole.add(paths)
    batched = Engine.open(tmp_path / "batched", encoder=FakeEncoder())
    batched.add(paths[:2])
    batched.add(paths[2:])

    assert _chunk_texts(batched) == _chunk_texts(whole)
    assert "The Office of Ports" in " ".join(_chunk_texts(whole).values())
    assert batched.add([folder]).unchanged == ("harbour-works-plan",)


@pytest.mark.shared
def test_the_2020_paper_indexed_in_three_batches_equals_one_call(
    shared: Path, tmp_path: Path
) -> None:
    files = sorted((shared / "corpus" / "rok-dwp-2020-pages").glob("*.txt"))
    whole = Engine.open(tmp_path / "whole", encoder=FakeEncoder())
    whole.add(files)
    batched = Engine.open(tmp_path / "batched", encoder=FakeEncoder())
    for batch in (files[:100], files[100:300], files[300:]):
        batched.add(batch)

    assert _chunk_texts(batched) == _chunk_texts(whole)


class _Recording(FakeEncoder):
    """Records what it encodes; its own fingerprint keeps the answer stage's in-memory
    vector cache (keyed by fingerprint) from serving texts another test encoded."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name
        self.texts: list[str] = []

    @property
    def fingerprint(self) -> str:
        return f"recording-{self._name}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return super().encode(texts)


def test_answers_read_the_sentence_vectors_kept_at_index_time(tmp_path: Path) -> None:
    kept, plain = _Recording("kept-sentences"), _Recording("encoded-sentences")
    with (
        Engine.open(tmp_path / "kept", encoder=kept) as keeping,
        Engine.open(
            tmp_path / "plain", encoder=plain, settings=Settings(answer_vectors=False)
        ) as encoding,
    ):
        keeping.add([ARCTIC, DESERT])
        encoding.add([ARCTIC, DESERT])
        plain.texts.clear()
        questions = ("When is the aquifer recharged?", "Who patrols the ice?")
        for question in questions:
            kept.texts.clear()
            answer = keeping.ask(question)
            assert kept.texts == [question]  # the search's question vector, nothing else
            assert encoding.ask(question) == answer
        # Without kept vectors the same answers encode their candidate sentences.
        assert len(plain.texts) > len(questions)


def test_an_index_built_without_sentence_vectors_gains_them_when_indexed_again(
    tmp_path: Path,
) -> None:
    encoder = _Recording("gains-sentences")
    with Engine.open(
        tmp_path / "index", encoder=encoder, settings=Settings(answer_vectors=False)
    ) as engine:
        engine.add([ARCTIC, DESERT])
    with Engine.open(tmp_path / "index", encoder=encoder) as engine:
        again = engine.add([ARCTIC, DESERT])
        assert set(again.updated) == {"northland-2031", "southmark-2029"}
        assert again.note is not None and "answer_vectors 0 -> 1" in again.note
        assert again.chunks_embedded == 0  # the chunks' own vectors come from the cache
        encoder.texts.clear()
        engine.ask("When is the aquifer recharged?")
        assert encoder.texts == ["When is the aquifer recharged?"]
