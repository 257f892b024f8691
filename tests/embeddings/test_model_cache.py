from __future__ import annotations

from pathlib import Path

import pytest

from embeddings.model_cache import MANIFEST, discard_entry, publish_entry, read_entry


def _writer(payload: bytes, metadata: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    def write(staging: Path) -> dict[str, object]:
        (staging / "weights.bin").write_bytes(payload)
        (staging / "graph.xml").write_text("<graph/>")
        return metadata or {"dimension": 4}

    return write


def _visible(root: Path) -> list[str]:
    return sorted(path.name for path in root.iterdir())


def test_published_entry_reads_back_with_its_metadata(tmp_path: Path) -> None:
    folder = publish_entry(tmp_path, "model-a", _writer(b"1234", {"dimension": 4, "n": [1, 2]}))

    assert folder == tmp_path / "model-a"
    assert read_entry(tmp_path, "model-a") == (folder, {"dimension": 4, "n": [1, 2]})
    assert (folder / "weights.bin").read_bytes() == b"1234"
    assert _visible(tmp_path) == ["model-a"]
    assert read_entry(tmp_path, "model-b") is None


def test_a_failing_write_leaves_nothing(tmp_path: Path) -> None:
    def write(staging: Path) -> dict[str, object]:
        (staging / "weights.bin").write_bytes(b"half")
        raise RuntimeError("converter crashed")

    with pytest.raises(RuntimeError, match="crashed"):
        publish_entry(tmp_path, "model-a", write)
    assert _visible(tmp_path) == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / "weights.bin").write_bytes(b"12"),
        lambda folder: (folder / "graph.xml").unlink(),
        lambda folder: (folder / MANIFEST).unlink(),
        lambda folder: (folder / MANIFEST).write_text("{not json"),
        lambda folder: (folder / MANIFEST).write_text('{"key": "model-b", "files": {}}'),
    ],
    ids=["short file", "missing file", "no manifest", "bad manifest", "other key"],
)
def test_incomplete_entries_are_not_read_and_are_replaced(tmp_path: Path, damage: object) -> None:
    folder = publish_entry(tmp_path, "model-a", _writer(b"1234"))
    damage(folder)  # type: ignore[operator]

    assert read_entry(tmp_path, "model-a") is None
    publish_entry(tmp_path, "model-a", _writer(b"5678"))
    assert read_entry(tmp_path, "model-a") is not None
    assert (folder / "weights.bin").read_bytes() == b"5678"
    assert _visible(tmp_path) == ["model-a"]


def test_an_entry_published_meanwhile_by_another_process_is_kept(tmp_path: Path) -> None:
    def racing_write(staging: Path) -> dict[str, object]:
        publish_entry(tmp_path, "model-a", _writer(b"first"))
        return _writer(b"second")(staging)

    folder = publish_entry(tmp_path, "model-a", racing_write)

    assert (folder / "weights.bin").read_bytes() == b"first"
    assert _visible(tmp_path) == ["model-a"]


def test_discarded_entries_are_gone(tmp_path: Path) -> None:
    publish_entry(tmp_path, "model-a", _writer(b"1234"))
    discard_entry(tmp_path, "model-a")
    discard_entry(tmp_path, "never-published")

    assert read_entry(tmp_path, "model-a") is None
    assert _visible(tmp_path) == []
