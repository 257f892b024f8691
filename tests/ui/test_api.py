from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa import Engine
from qa.errors import IndexBusy, IndexCorrupt, LanguageModelError
from ui.api import INTERNAL_ERROR, build_api
from ui.server import EXAMPLE_DIR

UPLOAD_LIMIT = 4096
NOTE = (
    "Harbour Survey Note\n\n"
    "The lighthouse keepers of Gullwick counted nineteen grey seals on the northern rocks "
    "during the spring survey.\n"
)


@pytest.fixture
def client(engine: Engine, upload_dir: Path) -> TestClient:
    return TestClient(build_api(engine, upload_dir=upload_dir, upload_limit=UPLOAD_LIMIT))


def _only_doc_id(client: TestClient) -> str:
    (document,) = client.get("/api/documents").json()["documents"]
    return str(document["doc_id"])


def test_health_counts_the_example_collection(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["documents"] == 1
    assert body["chunks"] > 0


def test_documents_lists_title_pages_and_chunks(client: TestClient) -> None:
    (document,) = client.get("/api/documents").json()["documents"]
    assert document["title"] == "Valdoria Defence White Paper 2024"
    assert document["pages"] == len(list(EXAMPLE_DIR.glob("*.txt")))
    assert document["chunks"] > 0


def test_search_returns_ranked_hits_with_chunk_fields(client: TestClient) -> None:
    response = client.get(
        "/api/search",
        params={"q": "Heron-class frigates, patrol vessels and mine countermeasure ships", "k": 3},
    )
    assert response.status_code == 200
    hits = response.json()["hits"]
    assert 1 <= len(hits) <= 3
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    top = hits[0]["chunk"]
    assert "Heron-class frigates" in top["text"]
    assert 15 in top["pages"]


def test_search_filters_by_document(client: TestClient) -> None:
    doc_id = _only_doc_id(client)
    response = client.get("/api/search", params={"q": "cyber command", "doc": [doc_id]})
    assert response.status_code == 200
    assert {h["chunk"]["doc_id"] for h in response.json()["hits"]} == {doc_id}


def test_ask_answers_with_a_citation_on_the_right_page(client: TestClient) -> None:
    response = client.post(
        "/api/ask", json={"question": "How many fighter aircraft does the Air Force fly?"}
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["found"] is True
    assert "[1]" in answer["text"]
    first = answer["citations"][0]
    assert "24 multirole fighter aircraft" in first["quote"]
    assert 16 in first["pages"]
    assert first["quote"] in first["passage"]
    assert first["label"].startswith("Valdoria Defence White Paper 2024, p")


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("post", "/api/ask", {"json": {"question": "   "}}),
        ("post", "/api/ask", {"json": {"question": "budget?", "k": 1000}}),
        ("get", "/api/search", {"params": {"q": "budget", "k": 0}}),
        ("get", "/api/search", {"params": {"q": ""}}),
        ("get", "/api/search", {"params": {"q": "budget", "k": 1000}}),
        ("post", "/api/ask", {"json": {"question": "x" * 5000}}),
    ],
)
def test_bad_questions_are_400_json(
    client: TestClient, method: str, path: str, kwargs: dict[str, object]
) -> None:
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 400
    assert response.json()["error"]


def test_malformed_requests_are_422_json(client: TestClient) -> None:
    missing = client.post("/api/ask", json={"k": 3})
    assert missing.status_code == 422
    assert "question" in missing.json()["error"]
    not_a_number = client.get("/api/search", params={"q": "budget", "k": "many"})
    assert not_a_number.status_code == 422
    assert "error" in not_a_number.json()


def test_unknown_document_ids_are_404_json(client: TestClient) -> None:
    search = client.get("/api/search", params={"q": "budget", "doc": "no-such-doc"})
    assert search.status_code == 404
    assert "no-such-doc" in search.json()["error"]
    ask = client.post("/api/ask", json={"question": "budget?", "docs": ["no-such-doc"]})
    assert ask.status_code == 404
    delete = client.delete("/api/documents/no-such-doc")
    assert delete.status_code == 404
    assert "no-such-doc" in delete.json()["error"]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (KeyError("vector 7 has no chunk"), 500),
        (ValueError("shapes (3,) and (4,) not aligned"), 500),
        (IndexCorrupt("/srv/index/manifest.json is unreadable"), 500),
        (IndexBusy("another process is writing to the index"), 503),
        (LanguageModelError("chat endpoint unreachable"), 502),
    ],
)
def test_only_citeqa_errors_reach_the_client(
    engine: Engine,
    upload_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    status: int,
) -> None:
    # A bug deep in the engine must not read as "unknown document" or "bad question".
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(engine, "search", fail)
    app = build_api(engine, upload_dir=upload_dir, upload_limit=UPLOAD_LIMIT)
    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/api/search", params={"q": "budget"})
    assert response.status_code == status
    expected = INTERNAL_ERROR if status == 500 else str(error)
    assert response.json() == {"error": expected}


def test_upload_indexes_the_file_under_a_generated_path(
    client: TestClient, upload_dir: Path
) -> None:
    response = client.post(
        "/api/documents",
        files={"file": ("../../etc/seal survey.txt", NOTE.encode(), "text/plain")},
    )
    assert response.status_code == 201, response.text
    (added,) = response.json()["documents"]
    saved = [p for p in upload_dir.rglob("*") if p.is_file()]
    assert len(saved) == 1
    assert saved[0].resolve().is_relative_to(upload_dir.resolve())
    assert saved[0].read_text() == NOTE
    listed = {d["doc_id"] for d in client.get("/api/documents").json()["documents"]}
    assert added["doc_id"] in listed
    hits = client.get(
        "/api/search", params={"q": "grey seals Gullwick", "doc": added["doc_id"]}
    ).json()["hits"]
    assert "nineteen grey seals" in hits[0]["chunk"]["text"]


def test_deleting_an_upload_removes_it_from_index_and_disk(
    client: TestClient, upload_dir: Path
) -> None:
    created = client.post("/api/documents", files={"file": ("seals.txt", NOTE.encode())})
    doc_id = created.json()["documents"][0]["doc_id"]
    response = client.delete(f"/api/documents/{doc_id}")
    assert response.status_code == 200
    assert response.json()["removed"] == doc_id
    listed = {d["doc_id"] for d in client.get("/api/documents").json()["documents"]}
    assert doc_id not in listed
    assert not [p for p in upload_dir.rglob("*") if p.is_file()]


def test_oversized_upload_is_413_and_leaves_nothing(client: TestClient, upload_dir: Path) -> None:
    response = client.post("/api/documents", files={"file": ("big.txt", b"word " * UPLOAD_LIMIT)})
    assert response.status_code == 413
    assert "limit" in response.json()["error"]
    assert not list(upload_dir.iterdir())


def test_unsupported_upload_is_415(client: TestClient, upload_dir: Path) -> None:
    response = client.post("/api/documents", files={"file": ("tool.exe", b"MZ\x90\x00")})
    assert response.status_code == 415
    assert ".exe" in response.json()["error"]
    assert not list(upload_dir.iterdir())


def test_unreadable_upload_is_422(client: TestClient, upload_dir: Path) -> None:
    response = client.post("/api/documents", files={"file": ("broken.pdf", b"%PDF-1.4 cut off")})
    assert response.status_code == 422
    assert "broken.pdf" in response.json()["error"]
    assert not list(upload_dir.iterdir())


def test_basic_auth_guards_every_route(engine: Engine, upload_dir: Path) -> None:
    client = TestClient(
        build_api(engine, upload_dir=upload_dir, upload_limit=UPLOAD_LIMIT, auth=("ann", "s:cret"))
    )
    assert client.get("/api/health").status_code == 401
    wrong = base64.b64encode(b"ann:guess").decode()
    denied = client.get("/api/documents", headers={"Authorization": f"Basic {wrong}"})
    assert denied.status_code == 401
    assert denied.json()["error"]
    assert client.get("/api/health", auth=("ann", "s:cret")).status_code == 200


def test_openapi_documents_every_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/search", "/api/ask", "/api/documents", "/api/health"} <= set(paths)
    assert {"get", "post"} <= set(paths["/api/documents"])
    assert client.get("/docs").status_code == 200


def test_ask_takes_the_conversation_and_says_what_it_searched(client: TestClient) -> None:
    first = client.post(
        "/api/ask", json={"question": "How many fighter aircraft does the Air Force fly?"}
    ).json()
    for history in ([first["question"]], [first]):
        response = client.post(
            "/api/ask", json={"question": "What about the Navy?", "history": history}
        )
        assert response.status_code == 200
        answer = response.json()
        assert answer["question"] == "What about the Navy?"
        assert answer["resolved_question"] == "How many fighter aircraft does the Navy fly?"


def test_a_history_item_that_is_neither_question_nor_answer_is_a_400(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "And the Navy?", "history": [{"x": 1}]})
    assert response.status_code == 400
    assert "history item" in response.json()["error"]


def test_the_first_own_upload_replaces_the_invented_example(client: TestClient) -> None:
    before = {d["doc_id"] for d in client.get("/api/documents").json()["documents"]}
    response = client.post(
        "/api/documents", files={"file": ("seals.txt", NOTE.encode(), "text/plain")}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body["removed_examples"]) == before
    after = {d["doc_id"] for d in client.get("/api/documents").json()["documents"]}
    assert after == {d["doc_id"] for d in body["documents"]}
