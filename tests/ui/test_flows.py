"""Indexing uploads and removing documents: what the Documents tab and the API both do."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from qa import Engine
from qa.errors import IndexBusy, UnknownDocument
from ui.flows import index_uploads, remove_document
from ui.uploads import save_upload


def _save(folder: Path, name: str, data: bytes) -> Path:
    return save_upload(io.BytesIO(data), name, folder, limit=1 << 20)


def _records(*lines: str) -> bytes:
    return "\n".join(lines).encode()


def test_only_uploads_nothing_came_from_are_deleted(engine: Engine, upload_dir: Path) -> None:
    good = _save(upload_dir, "seals.txt", b"Harbour Note\n\nNineteen grey seals on the rocks.\n")
    broken = _save(upload_dir, "broken.pdf", b"%PDF-1.4 cut off")
    # One bad line: the other record is indexed, so its file must stay for a later removal.
    record = json.dumps({"id": "r1", "title": "Tides", "text": "Spring tides reach the quay."})
    partly = _save(upload_dir, "records.jsonl", _records(record, "{not json"))

    summary = index_uploads(engine, [good, broken, partly], upload_dir)

    assert {Path(e.path).name for e in summary.errors} == {"broken.pdf", "records.jsonl"}
    assert good.is_file() and partly.is_file()
    assert not broken.parent.exists()
    assert "r1" in {d.doc_id for d in engine.documents()}


def test_uploads_are_deleted_when_indexing_fails(
    engine: Engine, upload_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = _save(upload_dir, "seals.txt", b"Harbour Note\n\nNineteen grey seals.\n")

    def busy(*args: object, **kwargs: object) -> None:
        raise IndexBusy("another process is writing to the index")

    monkeypatch.setattr(engine, "add", busy)
    with pytest.raises(IndexBusy):
        index_uploads(engine, [saved], upload_dir)
    assert not list(upload_dir.iterdir())


def test_removing_a_document_deletes_its_upload_only(
    engine: Engine, upload_dir: Path, tmp_path: Path
) -> None:
    saved = _save(upload_dir, "seals.txt", b"Harbour Note\n\nNineteen grey seals.\n")
    elsewhere = tmp_path / "kept.txt"
    elsewhere.write_text("Kept Note\n\nThe lighthouse stays lit all winter.\n")
    index_uploads(engine, [saved], upload_dir)
    engine.add(elsewhere)
    ids = {Path(d.origin or "").name: d.doc_id for d in engine.documents()}

    remove_document(engine, ids["seals.txt"], upload_dir)
    remove_document(engine, ids["kept.txt"], upload_dir)

    assert not list(upload_dir.iterdir())
    assert elsewhere.is_file()
    assert not {ids["seals.txt"], ids["kept.txt"]} & {d.doc_id for d in engine.documents()}
    with pytest.raises(UnknownDocument):
        remove_document(engine, ids["kept.txt"], upload_dir)


def test_replacing_an_upload_keeps_one_copy_and_removing_it_keeps_none(
    engine: Engine, upload_dir: Path
) -> None:
    first = _save(upload_dir, "x.md", b"# Tide Table\n\nSpring tides reach the quay.\n")
    index_uploads(engine, [first], upload_dir)
    again = _save(upload_dir, "x.md", b"# Tide Table\n\nSpring tides reach the quay.\n")
    assert index_uploads(engine, [again], upload_dir).unchanged == ("x",)
    changed = _save(upload_dir, "x.md", b"# Tide Table\n\nNeap tides stay below the quay.\n")
    assert index_uploads(engine, [changed], upload_dir).updated == ("x",)

    assert list(upload_dir.rglob("*.md")) == [changed]

    remove_document(engine, "x", upload_dir)
    assert list(upload_dir.iterdir()) == []


def test_removing_a_document_deletes_copies_earlier_uploads_left_behind(
    engine: Engine, upload_dir: Path
) -> None:
    # As replacing an upload left them before: a copy of an older x.md that nothing indexes.
    left = _save(upload_dir, "x.md", b"# Tide Table\n\nSpring tides reach the quay.\n")
    other = _save(upload_dir, "seals.txt", b"Harbour Note\n\nNineteen grey seals.\n")
    index_uploads(engine, [other], upload_dir)
    current = _save(upload_dir, "x.md", b"# Tide Table\n\nNeap tides stay below the quay.\n")
    index_uploads(engine, [current], upload_dir)
    assert left.is_file()

    remove_document(engine, "x", upload_dir)

    assert not left.exists() and not current.exists()
    assert other.is_file()
