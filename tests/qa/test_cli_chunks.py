from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa.cli import main
from tests.conftest import FIXTURES

DOCS = FIXTURES / "documents"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(DOCS / "harbor_2031_CoastalDefenceReview.txt", tmp_path / "harbor.txt")
    shutil.copy(DOCS / "field-notes.md", tmp_path / "field-notes.md")
    (tmp_path / "blank.txt").write_bytes(b"")
    (tmp_path / "image.txt").write_bytes(b"GIF89a\x00\x01\x00\x01")
    return tmp_path


def test_jsonl_output_has_one_object_per_chunk_and_errors_go_to_stderr(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["chunks", str(folder), "--jsonl"])
    out, err = capsys.readouterr()

    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows
    fields = {
        "id",
        "doc_id",
        "title",
        "pages",
        "section",
        "kind",
        "block_label",
        "notes",
        "glossary",
    }
    assert all(set(row) == fields | {"text", "source"} for row in rows)
    stations = next(row for row in rows if "four new stations" in row["text"])
    assert stations["pages"] == [4]
    assert stations["source"] == "harbor.txt"
    error_lines = [line for line in err.splitlines() if line.startswith("citeqa: error:")]
    assert sorted(error_lines) == [
        f"citeqa: error: {folder / 'blank.txt'}: empty file",
        f"citeqa: error: {folder / 'image.txt'}: binary file, not a supported format",
    ]


def test_readable_output_names_title_pages_and_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chunks", str(DOCS / "harbor_2031_CoastalDefenceReview.txt")]) == 0
    out = capsys.readouterr().out

    assert "=== Harbor 2031 Coastal Defence Review, p. 4 — Chapter One: Coastal patrols" in out
    assert "Patrol boats will sail from four new stations" in out


def test_exit_code_is_1_when_nothing_could_be_read(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["chunks", str(folder / "blank.txt"), str(folder / "image.txt")])
    _, err = capsys.readouterr()

    assert code == 1
    assert "empty file" in err


def test_a_missing_path_is_a_usage_error_before_anything_is_read(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["chunks", str(folder / "blank.txt"), str(folder / "missing.txt")])
    _, err = capsys.readouterr()

    assert code == 2
    assert err == f"citeqa: error: no such file or folder: {folder / 'missing.txt'}\n"


def test_installed_command_runs_as_a_program(folder: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "qa.cli", "chunks", str(folder / "field-notes.md"), "--jsonl"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0
    assert json.loads(done.stdout.splitlines()[0])["doc_id"] == "field-notes"


@pytest.mark.shared
def test_a_451_page_export_folder_is_chunked_quickly(
    shared: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.perf_counter()
    code = main(["chunks", str(shared / "corpus" / "rok-dwp-2020-pages"), "--jsonl"])
    elapsed = time.perf_counter() - started
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    assert code == 0
    assert elapsed < 10
    assert len({row["doc_id"] for row in rows}) == 1
    assert all(row["pages"] for row in rows)
