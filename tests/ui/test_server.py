from __future__ import annotations

import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa import Engine
from tests.fakes import FakeEncoder
from ui.server import EXAMPLE_DIR, build_server, open_for_serving


def test_an_empty_index_is_filled_with_the_example_collection(tmp_path: Path) -> None:
    engine = open_for_serving([], tmp_path / "index", encoder=FakeEncoder())
    try:
        (document,) = engine.documents()
        assert document.title == "Valdoria Defence White Paper 2024"
        assert document.pages == len(list(EXAMPLE_DIR.glob("*.txt")))
    finally:
        engine.close()


def test_own_paths_served_later_replace_the_example(tmp_path: Path) -> None:
    open_for_serving([], tmp_path / "index", encoder=FakeEncoder()).close()
    note = tmp_path / "note.md"
    note.write_text("# Ferry Timetable\n\nThe morning ferry to Brae leaves at seven.\n")
    engine = open_for_serving([note], tmp_path / "index", encoder=FakeEncoder())
    try:
        assert [d.doc_id for d in engine.documents()] == ["note"]
    finally:
        engine.close()
    # Serving the example folder itself keeps it.
    engine = open_for_serving([EXAMPLE_DIR], tmp_path / "other", encoder=FakeEncoder())
    try:
        assert [d.title for d in engine.documents()] == ["Valdoria Defence White Paper 2024"]
    finally:
        engine.close()


def test_given_paths_are_indexed_instead_of_the_example(tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text("# Ferry Timetable\n\nThe morning ferry to Brae leaves at seven.\n")
    engine = open_for_serving([note], tmp_path / "index", encoder=FakeEncoder())
    try:
        assert [d.chunks > 0 for d in engine.documents()] == [True]
        assert "Valdoria" not in engine.documents()[0].title
    finally:
        engine.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    engine = open_for_serving([], tmp_path / "index", encoder=FakeEncoder())
    yield engine, tmp_path / "index" / "uploads"
    engine.close()


def test_one_app_serves_chat_api_and_docs(served: tuple[Engine, Path]) -> None:
    engine, uploads = served
    client = TestClient(build_server(engine, upload_dir=uploads))
    assert client.get("/api/health").json()["documents"] == 1
    assert client.get("/docs").status_code == 200
    page = client.get("/")
    assert page.status_code == 200
    assert "citeqa" in page.text


def test_auth_protects_chat_and_api(served: tuple[Engine, Path]) -> None:
    engine, uploads = served
    client = TestClient(build_server(engine, upload_dir=uploads, auth=("ann", "pw")))
    assert client.get("/api/health").status_code == 401
    assert client.get("/api/health", auth=("ann", "pw")).status_code == 200
    assert client.get("/config").status_code == 401
    login = client.post("/login", data={"username": "ann", "password": "pw"})
    assert login.status_code == 200
    assert client.get("/config").status_code == 200


def test_citeqa_serve_passes_its_options_to_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa import cli

    calls: list[tuple[object, ...]] = []

    def fake_serve(paths: list[str], index: Path, **options: object) -> None:
        calls.append((paths, index, options))

    monkeypatch.setattr("ui.server.serve", fake_serve)
    code = cli.main(
        ["serve", "docs", "--index", str(tmp_path), "--port", "9001", "--auth", "ann:pw"]
    )
    assert code == 0
    assert calls == [
        (
            ["docs"],
            tmp_path,
            {
                "host": "127.0.0.1",
                "port": 9001,
                "auth": ("ann", "pw"),
                "model": None,
                "backend": None,
                "milvus_uri": None,
                "api_token": None,
                "insecure_public": False,
            },
        )
    ]
    assert cli.main(["serve", "--auth", "no-colon"]) == 2


# `citeqa serve` as run by ui.cli, with a login, on the fake encoder.
_SERVE_WITH_FAKE_MODEL = """
import sys
from pathlib import Path
from qa.engine import Engine
from tests.fakes import FakeEncoder
from ui.server import serve

opened = Engine.open.__func__
Engine.open = classmethod(
    lambda cls, path, **options: opened(cls, path, **{**options, "encoder": FakeEncoder()})
)
serve([], Path(sys.argv[1]), port=int(sys.argv[2]), auth=("ann", "pw"))
"""


def test_ask_and_search_use_a_running_server_on_the_same_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import qa.cli.command
    from qa.cli import main
    from qa.served import SERVED_FILE, read_served
    from tests.conftest import FIXTURES
    from tests.fakes import fake_engine
    from tests.serving import free_port

    index = tmp_path / "index"
    with fake_engine(index, FIXTURES / "documents"):
        pass
    monkeypatch.setattr(
        qa.cli.command,
        "open_engine",
        lambda args, create=False: Engine.open(args.index, encoder=FakeEncoder(), create=create),
    )
    commands = [
        ["ask", "Who patrols the coast?", "--index", str(index)],
        ["ask", "Who patrols the coast?", "--index", str(index), "--json"],
        ["search", "coastal patrol", "--index", str(index), "-k", "3", "--json"],
        ["search", "coastal patrol", "--index", str(index), "--doc", "lakeland"],
        ["search", "coastal patrol", "--index", str(index), "--doc", "no-such-document"],
        ["ask", "", "--index", str(index)],
    ]

    def outputs() -> list[tuple[int, str, str]]:
        results = []
        for argv in commands:
            status = main(argv)
            captured = capsys.readouterr()
            results.append((status, captured.out, captured.err))
        return results

    alone = outputs()
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVE_WITH_FAKE_MODEL, str(index), str(free_port())],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while read_served(index) is None or not _answers(index):
            assert server.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        assert stat.S_IMODE((index / SERVED_FILE).stat().st_mode) == 0o600

        def in_process(args: object, create: bool = False) -> Engine:
            raise AssertionError("answered in-process while a server runs")

        monkeypatch.setattr(qa.cli.command, "open_engine", in_process)
        assert outputs() == alone
    finally:
        # What a service manager sends to stop it.
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert not (index / SERVED_FILE).exists()


def _answers(index: Path) -> bool:
    """The announced server accepts connections (it announces just before it listens)."""
    from qa.served import read_served

    served = read_served(index)
    assert served is not None
    with socket.socket() as probe:
        return probe.connect_ex((served.host, served.port)) == 0
