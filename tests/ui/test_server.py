from __future__ import annotations

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
