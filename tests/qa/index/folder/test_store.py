from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import qa.errors
import qa.index.folder.snapshots
import qa.index.folder.store
from qa import Engine
from qa.errors import IndexBusy, ModelMismatch
from qa.index.folder.layout import MODELS
from qa.index.folder.snapshots import MANIFEST
from qa.settings import Settings
from qa.types import Document
from tests.fakes import FakeEncoder
from tests.qa.corpus import ARCTIC, DESERT


def test_reopened_index_answers_without_reembedding(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    Engine.open(folder, encoder=FakeEncoder()).add([ARCTIC, DESERT])
    encoder = FakeEncoder()
    reopened = Engine.open(folder, encoder=encoder)
    reopened.store.check_integrity()
    assert reopened.search("solar-powered surveillance towers", k=1)[0].chunk.doc_id == (
        "southmark-2029"
    )
    assert encoder.encoded == 1  # the query alone


def test_opening_with_another_model_says_how_to_rebuild(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    Engine.open(folder, encoder=FakeEncoder(dimension=64)).add([ARCTIC])
    with pytest.raises(ModelMismatch, match="rebuild"):
        Engine.open(folder, encoder=FakeEncoder(dimension=32))


def test_crash_after_commit_before_publishing_rebuilds_search_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "index"
    Engine.open(folder, encoder=FakeEncoder()).add([ARCTIC])
    engine = Engine.open(folder, encoder=FakeEncoder())

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(qa.index.folder.store.IndexStore, "publish", crash)
    with pytest.raises(KeyboardInterrupt):
        engine.add([DESERT])
    monkeypatch.undo()

    reopened = Engine.open(folder, encoder=FakeEncoder())
    reopened.store.check_integrity()
    assert {d.doc_id for d in reopened.documents()} == {"northland-2031", "southmark-2029"}
    assert reopened.search("desalination plants", k=1)[0].chunk.doc_id == "southmark-2029"


def test_crash_while_writing_the_manifest_keeps_the_previous_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "index"
    Engine.open(folder, encoder=FakeEncoder()).add([ARCTIC])
    before = (folder / MANIFEST).read_text()
    engine = Engine.open(folder, encoder=FakeEncoder())

    def crash(path: Path, text: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(qa.index.folder.snapshots, "atomic_write_text", crash)
    with pytest.raises(OSError):
        engine.add([DESERT])
    monkeypatch.undo()

    assert (folder / MANIFEST).read_text() == before
    reopened = Engine.open(folder, encoder=FakeEncoder())
    reopened.store.check_integrity()
    assert reopened.search("ice-capable patrol vessels", k=1)[0].chunk.doc_id == "northland-2031"


REPO = Path(__file__).resolve().parents[4]


def _in_another_process(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_second_writer_waits_for_the_first_or_fails_at_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "index"
    engine = Engine.open(folder, encoder=FakeEncoder())
    engine.add([ARCTIC])
    holder = _in_another_process(
        f"""
        import time
        from qa.index.folder.store import IndexStore
        with IndexStore({str(folder)!r}).writing():
            print("holding", flush=True)
            time.sleep(1.5)
        """
    )
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"

    with pytest.raises(IndexBusy, match="another process is writing"):
        engine.add([DESERT], wait=False)
    started = time.monotonic()
    summary = engine.add([DESERT])

    assert time.monotonic() - started > 0.5
    assert summary.added == ("southmark-2029",)
    assert "another process is writing to" in caplog.text
    assert holder.wait(10) == 0


def test_a_reader_sees_what_another_process_published(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    reader = Engine.open(folder, encoder=FakeEncoder())
    reader.add([ARCTIC])
    assert reader.search("desalination plants", k=1)[0].chunk.doc_id == "northland-2031"

    writer = _in_another_process(
        f"""
        from qa import Engine
        from tests.fakes import FakeEncoder
        from tests.qa.corpus import DESERT
        Engine.open({str(folder)!r}, encoder=FakeEncoder()).add([DESERT])
        """
    )
    assert writer.wait(60) == 0

    assert reader.search("desalination plants", k=1)[0].chunk.doc_id == "southmark-2029"
    assert {d.doc_id for d in reader.documents()} == {"northland-2031", "southmark-2029"}
    reader.store.check_integrity()
    # And the reader, writing next, builds on the other process's document.
    reader.remove("northland-2031")
    assert [d.doc_id for d in Engine.open(folder, encoder=FakeEncoder()).documents()] == [
        "southmark-2029"
    ]


def test_a_new_index_folder_may_already_hold_the_converted_model(tmp_path: Path) -> None:
    # Earlier versions cached the converted model in models/ before the store made the index,
    # so a failed first index could leave just that; other files still mark a folder that is
    # not ours.
    folder = tmp_path / "index"
    (folder / MODELS / "some-model").mkdir(parents=True)
    Engine.open(folder, encoder=FakeEncoder()).add([ARCTIC])

    other = tmp_path / "photos"
    other.mkdir()
    (other / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(qa.errors.IndexNotFound, match="holds other files"):
        Engine.open(other, encoder=FakeEncoder())


def test_above_the_threshold_setting_dense_search_is_approximate_and_still_finds(
    tmp_path: Path,
) -> None:
    settings = Settings(approximate_above=60)
    many = [
        Document(
            id=f"depot-{n}",
            title=f"Depot {n}",
            text="\n\n".join(
                f"# Store {m}\n\nDepot {n} store {m} keeps {n * m} crates of {word} rations."
                for m, word in enumerate(("tinned", "dried", "frozen", "fresh", "salted"))
            ),
        )
        for n in range(30)
    ]
    with Engine.open(tmp_path / "index", encoder=FakeEncoder(), settings=settings) as engine:
        engine.add(many)
        assert len(engine) > 60
        assert engine.store._view.vectors.is_approximate
        engine.add(ARCTIC)
        hits = engine.search("ice-capable patrol vessels", k=1, mode="dense")
        assert hits[0].chunk.doc_id == ARCTIC.id
    with Engine.open(tmp_path / "index", encoder=FakeEncoder(), settings=settings) as reopened:
        assert reopened.store._view.vectors.is_approximate
        assert reopened.search("ice-capable patrol vessels", k=1)[0].chunk.doc_id == ARCTIC.id


def test_settings_refuse_a_threshold_that_is_not_a_positive_integer() -> None:
    with pytest.raises(ValueError, match="approximate_above"):
        Settings(approximate_above=0)
    with pytest.raises(ValueError, match="batch_chars"):
        Settings(batch_chars=-5)
