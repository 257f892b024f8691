from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from embeddings.atomic import atomic_write_bytes, atomic_write_text
from embeddings.vector_index import VectorIndex


def test_write_creates_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "manifest.json"
    atomic_write_text(path, "first")
    atomic_write_text(path, "second ✓")
    assert path.read_text(encoding="utf-8") == "second ✓"
    assert [p.name for p in path.parent.iterdir()] == ["manifest.json"]


def test_crash_before_rename_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "data.bin"
    atomic_write_bytes(path, b"old")

    def crash(src: object, dst: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        atomic_write_bytes(path, b"new")

    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]


def test_crash_while_saving_an_index_leaves_the_previous_index_loadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "vectors.faiss"
    old = VectorIndex(4)
    old.add(np.array([1, 2]), np.eye(4, dtype=np.float32)[:2])
    old.save(path)
    bigger = VectorIndex(4)
    bigger.add(np.array([1, 2, 3]), np.eye(4, dtype=np.float32)[:3])

    def crash(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        bigger.save(path)
    monkeypatch.undo()

    assert sorted(VectorIndex.load(path).ids().tolist()) == [1, 2]
