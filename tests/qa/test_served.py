"""The file a running ``citeqa serve`` leaves in its index folder."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from contextlib import AbstractContextManager
from pathlib import Path

from qa.served import SERVED_FILE, Served, announced, read_served


def _announce(folder: Path, token: str | None = "secret") -> AbstractContextManager[Served]:
    return announced(
        folder, "0.0.0.0", 7860, token=token, model=None, backend=None, milvus_uri=None
    )


def test_the_file_is_owner_only_reachable_and_gone_after(tmp_path: Path) -> None:
    with _announce(tmp_path) as served:
        mode = stat.S_IMODE((tmp_path / SERVED_FILE).stat().st_mode)
        assert mode == 0o600
        assert read_served(tmp_path) == served
        assert served.url == "http://127.0.0.1:7860"
        assert served.token == "secret"
    assert not (tmp_path / SERVED_FILE).exists()
    assert list(tmp_path.iterdir()) == []


def test_a_file_naming_a_dead_process_is_ignored(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    with _announce(tmp_path):
        data = json.loads((tmp_path / SERVED_FILE).read_text())
    (tmp_path / SERVED_FILE).write_text(json.dumps({**data, "pid": int(gone.stdout)}))

    assert read_served(tmp_path) is None


def test_garbage_is_ignored(tmp_path: Path) -> None:
    (tmp_path / SERVED_FILE).write_text("{not json")
    assert read_served(tmp_path) is None
    (tmp_path / SERVED_FILE).write_text(json.dumps({"host": "x"}))
    assert read_served(tmp_path) is None


def test_a_server_leaving_keeps_the_file_of_a_later_server(tmp_path: Path) -> None:
    earlier = _announce(tmp_path)
    earlier.__enter__()
    later = announced(tmp_path, "::", 9000, token=None, model=None, backend=None, milvus_uri=None)
    with later as served:
        earlier.__exit__(None, None, None)
        assert read_served(tmp_path) == served
        assert served.url == "http://[::1]:9000"
    assert not (tmp_path / SERVED_FILE).exists()


def test_an_unwritable_folder_only_loses_the_announcement(tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    with _announce(missing) as served:
        assert served.pid == os.getpid()
    assert read_served(missing) is None
