"""Untrusted uploads, file routes, logins and bind addresses: what a hostile client can reach."""

from __future__ import annotations

import io
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from gradio.utils import get_upload_folder

from qa import Engine
from qa.access import PublicBindRefused, check_bind, is_loopback
from tests.fakes import FakeEncoder
from tests.qa.ingest.test_hostile import docx_of_tiny_runs
from tests.ui.browser import serving
from ui.events import EXTRACTIVE, Events
from ui.exports import Exports
from ui.render import answer_html
from ui.server import EXAMPLE_DIR, build_server
from ui.uploads import UploadRejected, discard_upload, is_upload, save_upload
from ui.viewer import page_html

NOTE = b"Harbour Survey Note\n\nThe keepers of Gullwick counted nineteen grey seals.\n"
SECRET = "Vault Ledger\n\nThe strongroom combination is four four nine seven.\n"


def _files_under(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")}


# ---------------------------------------------------------------------------------- uploads
@pytest.mark.parametrize(
    "name",
    [
        "../../x.txt",
        "../../../../tmp/x.txt",
        "/etc/cron.d/x.txt",
        "C:\\Windows\\x.txt",
        "a\x00b.txt",
        "note.txt\x00",
        "....//....//x.txt",
    ],
)
def test_hostile_upload_names_write_only_inside_the_uploads_folder(
    tmp_path: Path, name: str
) -> None:
    uploads = tmp_path / "box" / "uploads"
    uploads.mkdir(parents=True)
    saved = save_upload(io.BytesIO(NOTE), name, uploads, limit=1000)
    assert saved.resolve().parent.parent == uploads.resolve()
    assert "\x00" not in str(saved)
    assert saved.read_bytes() == NOTE
    # Nothing appeared anywhere else under the test folder.
    assert _files_under(tmp_path) == {
        Path("box"),
        Path("box/uploads"),
        saved.parent.relative_to(tmp_path),
        saved.relative_to(tmp_path),
    }


def test_a_nul_byte_cannot_smuggle_an_unsupported_type(tmp_path: Path) -> None:
    with pytest.raises(UploadRejected) as refused:
        save_upload(io.BytesIO(NOTE), "run.txt\x00.sh", tmp_path, limit=1000)
    assert refused.value.status == 415
    assert list(tmp_path.iterdir()) == []


def test_a_planted_symlink_in_the_uploads_folder_is_never_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = tmp_path / "uploads"
    outside = tmp_path / "outside"
    uploads.mkdir()
    outside.mkdir()
    planted = uuid.UUID(int=7)
    (uploads / planted.hex).symlink_to(outside, target_is_directory=True)
    monkeypatch.setattr("ui.uploads.uuid.uuid4", lambda: planted)
    with pytest.raises(FileExistsError):
        save_upload(io.BytesIO(NOTE), "note.txt", uploads, limit=1000)
    assert list(outside.iterdir()) == []


def test_symlinks_are_never_treated_as_uploads_so_removal_cannot_delete_outside(
    tmp_path: Path,
) -> None:
    uploads = tmp_path / "uploads"
    outside = tmp_path / "outside"
    uploads.mkdir()
    outside.mkdir()
    keep = outside / "keep.txt"
    keep.write_text("precious")
    linked_folder = uploads / ("a" * 32)
    linked_folder.symlink_to(outside, target_is_directory=True)
    real_folder = uploads / ("b" * 32)
    real_folder.mkdir()
    (real_folder / "keep.txt").symlink_to(keep)
    assert not is_upload(linked_folder / "keep.txt", uploads)
    assert not is_upload(real_folder / "keep.txt", uploads)
    discard_upload(linked_folder / "keep.txt")
    discard_upload(real_folder / "keep.txt")
    assert keep.read_text() == "precious"


def test_api_upload_with_a_traversal_name_lands_inside_the_index(
    engine: Engine, tmp_path: Path
) -> None:
    uploads = tmp_path / "index" / "uploads"
    client = TestClient(build_server(engine, upload_dir=uploads))
    before = set(tmp_path.iterdir())
    response = client.post(
        "/api/documents", files={"file": ("../../../seals.txt", NOTE, "text/plain")}
    )
    assert response.status_code == 201
    (document,) = response.json()["documents"]
    assert document["source"] == "seals.txt"
    (saved,) = uploads.rglob("*.txt")
    assert saved.resolve().parent.parent == uploads.resolve()
    assert set(tmp_path.iterdir()) == before


def test_api_refuses_unsupported_and_oversized_uploads(engine: Engine, tmp_path: Path) -> None:
    uploads = tmp_path / "index" / "uploads"
    client = TestClient(build_server(engine, upload_dir=uploads, upload_limit=100))
    script = client.post("/api/documents", files={"file": ("run.sh", b"rm -rf /", "text/plain")})
    big = client.post("/api/documents", files={"file": ("big.txt", b"x" * 101, "text/plain")})
    assert (script.status_code, big.status_code) == (415, 413)
    assert list(uploads.iterdir()) == []


def test_an_oversized_upload_is_refused_before_its_body_is_read(
    engine: Engine, tmp_path: Path
) -> None:
    uploads = tmp_path / "index" / "uploads"
    client = TestClient(build_server(engine, upload_dir=uploads, upload_limit=1000))
    huge = client.post(
        "/api/documents",
        content=b"x" * 100,
        headers={"Content-Type": "multipart/form-data; boundary=b", "Content-Length": "10000000"},
    )
    assert huge.status_code == 413

    def chunks() -> Iterator[bytes]:
        yield b"--b\r\n"

    undeclared = client.post(
        "/api/documents",
        content=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert undeclared.status_code == 411
    assert list(uploads.iterdir()) == []


def test_a_slow_word_file_is_refused_at_its_deadline_while_a_small_upload_goes_through(
    engine: Engine, tmp_path: Path
) -> None:
    engine.settings = replace(engine.settings, parse_seconds=8)
    client = TestClient(build_server(engine, upload_dir=tmp_path / "index" / "uploads"))
    slow: list[tuple[int, str, float]] = []

    def upload_slow() -> None:
        started = time.perf_counter()
        files = {"file": ("runs.docx", docx_of_tiny_runs(), "application/octet-stream")}
        response = client.post("/api/documents", files=files)
        slow.append((response.status_code, response.text, time.perf_counter() - started))

    sending = threading.Thread(target=upload_slow)
    sending.start()
    time.sleep(1)
    started = time.perf_counter()
    small = client.post("/api/documents", files={"file": ("seals.txt", NOTE, "text/plain")})
    small_seconds = time.perf_counter() - started
    still_reading = sending.is_alive()
    sending.join()

    assert small.status_code == 201
    assert small_seconds < 4 and still_reading
    ((status, error, seconds),) = slow
    assert status == 422 and "parse_seconds" in error
    assert seconds < 8 + 10
    titles = {d.title for d in engine.documents()}
    # The small upload is indexed (and, the first of its own, replaced the invented example).
    assert titles == {"Harbour Survey Note"}


def test_bidi_and_zero_width_characters_are_not_shown_but_stay_stored(
    engine: Engine, tmp_path: Path
) -> None:
    hidden = ("\u202e", "\u2066", "\u200b", "\ufeff")
    note = tmp_path / "note.md"
    note.write_text(
        "# Harbour\u202e Survey\u2066 Note\n\n"
        "The keepers of Gullwick counted nineteen grey\u200b seals\u202e on the northern rocks.\n"
        "\f\nThe lighthouse stays lit all winter long.\n"
    )
    engine.add(note)
    (info,) = [d for d in engine.documents() if d.source == "note.md"]
    question = "How many grey seals did the keepers of Gullwick count?"
    answer = engine.ask(question, docs=[info.doc_id])
    assert "\u202e" in info.title

    documents = Events(engine, tmp_path / "index" / "uploads", 1000).document_views()
    shown = [
        answer_html(answer, 0),
        page_html(engine.page(info.doc_id, 1, quote=answer.citations[0].quote)),
        str(documents[0].value),
        str(documents[1].choices),
    ]
    for text in shown:
        assert "Harbour Survey Note" in text
        assert not [c for c in hidden if c in text], text


# ------------------------------------------------------------------------------ file routes
def test_gradio_file_routes_refuse_system_files_and_the_index(
    engine: Engine, tmp_path: Path
) -> None:
    uploads = tmp_path / "index" / "uploads"
    client = TestClient(build_server(engine, upload_dir=uploads))
    saved = client.post("/api/documents", files={"file": ("seals.txt", NOTE, "text/plain")})
    upload = Path(saved.json()["documents"][0]["source"])
    index = tmp_path / "index"
    for target in ("/etc/passwd", index / "chunks.sqlite", index / "manifest.json", upload):
        for route in ("/gradio_api/file=", "/gradio_api/file/", "/file="):
            response = client.get(f"{route}{target}")
            assert response.status_code in (403, 404), (route, target)
            assert b"root:" not in response.content
            assert b"SQLite" not in response.content
            assert b"grey seals" not in response.content


def test_the_index_is_refused_even_inside_gradios_own_upload_folder() -> None:
    # Gradio serves its upload folder to anyone; an index placed there must still stay private.
    gradio_dir = Path(get_upload_folder())
    gradio_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=gradio_dir) as folder:
        index = Path(folder) / "index"
        engine = Engine.open(index, encoder=FakeEncoder())
        engine.add(EXAMPLE_DIR)
        try:
            client = TestClient(build_server(engine, upload_dir=index / "uploads"))
            for name in ("chunks.sqlite", "manifest.json"):
                assert client.get(f"/gradio_api/file={index / name}").status_code == 403
            link = Path(folder) / "link.sqlite"
            link.symlink_to(index / "chunks.sqlite")
            assert client.get(f"/gradio_api/file={link}").status_code == 403
        finally:
            engine.close()


def test_the_file_route_fetches_no_urls(engine: Engine, tmp_path: Path) -> None:
    client = TestClient(build_server(engine, upload_dir=tmp_path / "index" / "uploads"))
    for url in ("http://example.com/", "https://example.com/a.txt", "HTTP://169.254.169.254/"):
        for route in ("/gradio_api/file=", "/gradio_api/file/"):
            response = client.get(f"{route}{url}")
            assert response.status_code == 403
            assert response.json() == {"error": "fetching URLs is disabled"}


def test_a_chat_event_cannot_make_the_server_read_a_file_it_was_not_sent(
    engine: Engine, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    with (
        serving(engine, tmp_path / "index" / "uploads") as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        config = client.get("/config").json()
        add = next(d for d in config["dependencies"] if d.get("api_name") == "add_files")
        joined = client.post(
            "/gradio_api/queue/join",
            json={
                "data": [[{"path": str(secret), "meta": {"_type": "gradio.FileData"}}]],
                "fn_index": add["id"],
                "trigger_id": add["targets"][0][0],
                "session_hash": "hostile",
                "event_data": None,
            },
        )
        assert joined.status_code == 200
        outcome = ""
        with client.stream(
            "GET", "/gradio_api/queue/data", params={"session_hash": "hostile"}
        ) as events:
            for line in events.iter_lines():
                if "process_completed" in line:
                    outcome = line
                    break
    assert '"success":false' in outcome
    assert [d.title for d in engine.documents()] == ["Valdoria Defence White Paper 2024"]
    assert not list((tmp_path / "index" / "uploads").iterdir())


# --------------------------------------------------------------------------------- exports
def test_answers_write_no_export_and_an_asked_export_is_private_and_removed(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A temporary folder of this test's own: other processes share /tmp.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    exports = Exports()
    events = Events(engine, tmp_path / "index" / "uploads", 1000, exports)
    steps = list(
        events.respond(
            "How many fighter aircraft does the Air Force fly?", [], [], {}, None, 5, EXTRACTIVE
        )
    )
    assert list((tmp_path / "tmp").iterdir()) == []
    turns = steps[-1][1]

    path = Path(events.export(turns))

    assert "24 multirole fighter aircraft" in path.read_text(encoding="utf-8")
    assert path.stat().st_mode & 0o777 == 0o600
    for folder in (path.parent, path.parent.parent):
        assert folder.stat().st_mode & 0o777 == 0o700
    exports.sweep()
    assert path.is_file()  # young exports stay until Gradio has its copy
    exports.sweep(older_than=0)
    assert not path.parent.exists()
    again = Path(events.export(turns))
    exports.close()
    assert not again.parent.parent.exists()


def test_the_server_sweeps_exports_on_a_timer_and_removes_them_at_shutdown(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui import server

    swept = threading.Event()

    class Watched(Exports):
        def sweep(self, older_than: float = 0) -> None:
            swept.set()
            super().sweep(older_than)

    exports = Watched()
    monkeypatch.setattr(server, "Exports", lambda: exports)
    monkeypatch.setattr(server, "SWEEP_SECONDS", 0.05)
    with TestClient(build_server(engine, upload_dir=tmp_path / "index" / "uploads")):
        written = exports.write("# exported")
        assert swept.wait(10)
    assert not written.parent.parent.exists()


def test_gradios_copies_of_added_and_rejected_uploads_are_deleted(
    engine: Engine, upload_dir: Path
) -> None:
    cache = Path(get_upload_folder())
    cache.mkdir(parents=True, exist_ok=True)
    copies = []
    for name, data in (("seals.txt", NOTE), ("run.sh", b"rm -rf /"), ("empty.txt", b"")):
        folder = Path(tempfile.mkdtemp(dir=cache))
        (folder / name).write_bytes(data)
        copies.append(folder / name)
    events = Events(engine, upload_dir, 1000)

    status = events.add_files([str(path) for path in copies])[0]

    assert "1 added" in status and "run.sh" in status and "empty.txt" in status
    assert not [path for path in copies if path.parent.exists()]


def test_serve_keeps_gradios_copies_in_a_private_folder_removed_at_shutdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from ui import server

    seen: list[tuple[str, int]] = []

    def run(app: FastAPI, **options: object) -> None:
        cache = get_upload_folder()
        seen.append((cache, Path(cache).stat().st_mode & 0o777))

    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    monkeypatch.setattr(server, "open_for_serving", lambda *args, **kwargs: engine)
    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.delenv("GRADIO_TEMP_DIR", raising=False)
    server.serve([], tmp_path / "index")
    ((cache, mode),) = seen
    assert mode == 0o700
    assert not Path(cache).exists() and "GRADIO_TEMP_DIR" not in os.environ


# ------------------------------------------------------------------------------------ auth
def test_login_guards_the_api_the_chat_and_gradios_routes(engine: Engine, tmp_path: Path) -> None:
    client = TestClient(
        build_server(engine, upload_dir=tmp_path / "index" / "uploads", auth=("ann", "pw"))
    )
    for path in ("/api/health", "/api/documents"):
        assert client.get(path).status_code == 401
        assert client.get(path, auth=("ann", "wrong")).status_code == 401
        assert client.get(path, auth=("bob", "pw")).status_code == 401
        assert client.get(path, auth=("ann", "pw")).status_code == 200
    assert client.post("/api/ask", json={"question": "fighter aircraft?"}).status_code == 401
    assert client.get("/config").status_code == 401
    assert client.post("/gradio_api/queue/join", json={}).status_code == 401
    upload = client.post("/gradio_api/upload", files={"files": ("a.txt", NOTE, "text/plain")})
    assert upload.status_code == 401
    assert client.get("/api/health").headers["www-authenticate"].startswith("Basic")


def test_api_token_opens_the_api_only_with_the_exact_token(engine: Engine, tmp_path: Path) -> None:
    client = TestClient(
        build_server(engine, upload_dir=tmp_path / "index" / "uploads", api_token="s3cret-token")
    )
    assert client.get("/api/health").status_code == 401
    assert client.get("/api/health").headers["www-authenticate"].startswith("Bearer")
    for wrong in ("s3cret-toke", "s3cret-token2", "S3CRET-TOKEN", ""):
        headers = {"Authorization": f"Bearer {wrong}"}
        assert client.get("/api/health", headers=headers).status_code == 401
    assert client.get("/api/health", auth=("any", "s3cret-token")).status_code == 401
    good = {"Authorization": "Bearer s3cret-token"}
    assert client.get("/api/health", headers=good).status_code == 200
    asked = client.post("/api/ask", json={"question": "fighter aircraft?"}, headers=good)
    assert asked.status_code == 200


def test_login_and_token_are_alternatives_for_the_api(engine: Engine, tmp_path: Path) -> None:
    client = TestClient(
        build_server(
            engine,
            upload_dir=tmp_path / "index" / "uploads",
            auth=("ann", "pw"),
            api_token="tok",
        )
    )
    assert client.get("/api/health", auth=("ann", "pw")).status_code == 200
    assert client.get("/api/health", headers={"Authorization": "Bearer tok"}).status_code == 200
    assert client.get("/api/health", headers={"Authorization": "Bearer pw"}).status_code == 401
    # The token is for scripts: it does not open the chat.
    assert client.get("/config", headers={"Authorization": "Bearer tok"}).status_code == 401


def test_a_token_alone_guards_the_chat_and_gradios_routes_too(
    engine: Engine, tmp_path: Path
) -> None:
    client = TestClient(
        build_server(engine, upload_dir=tmp_path / "index" / "uploads", api_token="tok")
    )
    bearer = {"Authorization": "Bearer tok"}
    assert client.get("/config").status_code == 401
    for api_name in ("document_views", "remove"):
        call = client.post(f"/gradio_api/call/{api_name}", json={"data": []}, headers=bearer)
        assert call.status_code == 401
    assert client.post("/gradio_api/queue/join", json={}).status_code == 401
    assert client.post("/login", data={"username": "ann", "password": "pw"}).status_code == 400
    assert client.get("/config").status_code == 401
    # The chat's login form takes the token as the password.
    assert client.post("/login", data={"username": "ann", "password": "tok"}).status_code == 200
    listed = client.post("/gradio_api/call/document_views", json={"data": []})
    assert listed.status_code == 200 and "event_id" in listed.json()


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_the_api_schema_pages_are_guarded_like_the_api(
    engine: Engine, tmp_path: Path, path: str
) -> None:
    uploads = tmp_path / "index" / "uploads"
    open_server = TestClient(build_server(engine, upload_dir=uploads))
    assert open_server.get(path).status_code == 200
    login = TestClient(build_server(engine, upload_dir=uploads, auth=("ann", "pw")))
    token = TestClient(build_server(engine, upload_dir=uploads, api_token="tok"))
    assert login.get(path).status_code == 401
    assert token.get(path).status_code == 401
    assert login.get(path, auth=("ann", "pw")).status_code == 200
    assert token.get(path, headers={"Authorization": "Bearer tok"}).status_code == 200
    schema = login.get("/openapi.json", auth=("ann", "pw")).json()
    assert "/api/ask" in schema["paths"]


def test_the_index_folder_and_its_files_are_private(tmp_path: Path) -> None:
    before = os.umask(0o022)
    try:
        with Engine.open(tmp_path / "index", encoder=FakeEncoder()) as engine:
            engine.add(EXAMPLE_DIR)
            answer = engine.ask("How many fighter aircraft does the Air Force fly?")
            engine.feedback.record(answer, helpful=True)
            files = [p for p in (tmp_path / "index").rglob("*") if p.is_file()]
            modes = {p.name: p.stat().st_mode & 0o777 for p in files if p.parent == engine.folder}
    finally:
        os.umask(before)
    assert (tmp_path / "index").stat().st_mode & 0o777 == 0o700
    for name in ("chunks.sqlite", "chunks.sqlite-wal", "feedback.sqlite", "embeddings.sqlite"):
        assert modes.pop(name) == 0o600, name
    assert {name: mode for name, mode in modes.items() if mode & 0o077} == {}


def test_serve_reads_the_token_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from ui import server

    statuses: list[int] = []

    def run(app: FastAPI, **options: object) -> None:
        client = TestClient(app)
        statuses.append(client.get("/api/health").status_code)
        bearer = {"Authorization": "Bearer from-env"}
        statuses.append(client.get("/api/health", headers=bearer).status_code)

    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    monkeypatch.setattr(server, "open_for_serving", lambda *args, **kwargs: engine)
    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv("CITEQA_API_TOKEN", "from-env")
    server.serve([], tmp_path / "index")
    assert statuses == [401, 200]


# ------------------------------------------------------------------------------------ bind
@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses_need_no_login(host: str) -> None:
    assert is_loopback(host)
    check_bind(host, None, insecure_public=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org", "citeqa.lan"])
def test_public_addresses_need_a_login_or_an_explicit_flag(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(PublicBindRefused, match="--auth"):
        check_bind(host, None, insecure_public=False)
    check_bind(host, ("ann", "pw"), insecure_public=False)
    check_bind(host, None, insecure_public=True)


def test_citeqa_serve_refuses_a_public_bind_without_login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qa import cli

    served: list[dict[str, object]] = []
    monkeypatch.setattr("ui.server.serve", lambda paths, index, **options: served.append(options))
    base = ["serve", "--index", str(tmp_path), "--host", "0.0.0.0"]
    assert cli.main(base) == 2
    assert "--insecure-public" in capsys.readouterr().err
    assert cli.main([*base, "--api-token", "tok"]) == 2
    assert served == []
    assert cli.main([*base, "--insecure-public"]) == 0
    assert cli.main([*base, "--auth", "ann:pw", "--api-token", "tok"]) == 0
    assert [(o["insecure_public"], o["auth"], o["api_token"]) for o in served] == [
        (True, None, None),
        (False, ("ann", "pw"), "tok"),
    ]
