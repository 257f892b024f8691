from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from qa import Engine
from qa.types import Page
from tests.fakes import FakeEncoder
from tests.qa.corpus import ARCTIC, DESERT


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


def test_progress_callback_reaches_the_total(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    engine.add([ARCTIC], progress=lambda done, total: seen.append((done, total)))
    assert seen[0][0] == 0
    assert seen[-1][0] == seen[-1][1] > 0
