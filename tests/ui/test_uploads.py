from __future__ import annotations

import io
from pathlib import Path

import pytest

from ui.uploads import UploadRejected, is_upload, safe_name, save_upload


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\ann\\Report 2024.PDF", "Report_2024.pdf"),
        ("..", "upload"),
        ("notes", "notes"),
    ],
)
def test_safe_name_drops_folders_and_odd_characters(given: str, expected: str) -> None:
    assert safe_name(given) == expected


def test_saved_upload_stays_inside_the_folder(tmp_path: Path) -> None:
    saved = save_upload(io.BytesIO(b"hello"), "../../escape.txt", tmp_path, limit=100)
    assert saved.read_bytes() == b"hello"
    assert saved.parent.parent == tmp_path
    assert saved.name == "escape.txt"
    assert is_upload(saved, tmp_path)
    assert not is_upload(tmp_path / "elsewhere.txt", tmp_path)


def test_two_uploads_with_one_name_do_not_overwrite_each_other(tmp_path: Path) -> None:
    first = save_upload(io.BytesIO(b"one"), "a.txt", tmp_path, limit=100)
    second = save_upload(io.BytesIO(b"two"), "a.txt", tmp_path, limit=100)
    assert first != second
    assert first.read_bytes() == b"one"


def test_too_large_upload_is_413_and_removed(tmp_path: Path) -> None:
    with pytest.raises(UploadRejected) as refused:
        save_upload(io.BytesIO(b"x" * 101), "big.txt", tmp_path, limit=100)
    assert refused.value.status == 413
    assert list(tmp_path.iterdir()) == []


def test_unsupported_type_is_415(tmp_path: Path) -> None:
    with pytest.raises(UploadRejected) as refused:
        save_upload(io.BytesIO(b"x"), "run.sh", tmp_path, limit=100)
    assert refused.value.status == 415
    assert list(tmp_path.iterdir()) == []
