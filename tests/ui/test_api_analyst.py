"""The overview, page, compare and feedback routes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa import Engine
from tests.fakes import fake_engine
from tests.qa.editions import EDITIONS, NEW, OLD
from tests.qa.ingest.test_pdf import make_pdf
from ui.api import build_api


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with fake_engine(tmp_path / "index", EDITIONS) as engine:
        yield engine


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> TestClient:
    return TestClient(build_api(engine, upload_dir=tmp_path / "uploads", upload_limit=4096))


def test_overview_gives_the_figures_and_suggested_questions(client: TestClient) -> None:
    body = client.get("/api/overview", params={"n": 4}).json()
    assert (body["documents"], body["pages"], body["chunks"]) == (3, 10, 10)
    assert len(body["suggestions"]) == 4
    assert {"question", "doc_id", "title", "source", "kind"} <= set(body["suggestions"][0])
    assert client.get("/api/overview", params={"n": 0}).status_code == 422


def test_a_page_comes_whole_with_the_quote_s_ranges(client: TestClient) -> None:
    quote = "five corvettes and four patrol boats"
    response = client.get(f"/api/documents/{NEW}/pages/3", params={"quote": quote})
    assert response.status_code == 200
    page = response.json()
    assert (page["number"], page["previous"], page["next"]) == (3, 2, 4)
    assert page["title"] == "Northmark Defence White Paper 2021"
    assert [page["text"][a:b] for a, b in page["highlights"]] == [quote]
    # The whole page: the Army's paragraph too, not only the quoted passage.
    assert "14,500 active soldiers" in page["text"]
    assert (page["has_image"], page["image_url"]) == (False, None)


def test_unknown_pages_and_documents_are_404(client: TestClient) -> None:
    response = client.get(f"/api/documents/{NEW}/pages/9")
    assert response.status_code == 404
    assert "has no page 9; it has pages 1-4" in response.json()["error"]
    assert client.get("/api/documents/nothing/pages/1").status_code == 404
    assert client.get(f"/api/documents/{NEW}/pages/3/image").status_code == 404


def test_a_pdf_page_has_an_image_route(engine: Engine, client: TestClient, tmp_path: Path) -> None:
    pdf = tmp_path / "drill.pdf"
    pdf.write_bytes(make_pdf([["The drill began at dawn."], ["Eleven boats took part."]]))
    engine.add(pdf)
    page = client.get("/api/documents/drill/pages/2").json()
    assert page["image_url"] == "/api/documents/drill/pages/2/image"
    image = client.get(page["image_url"])
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


def test_compare_answers_each_document_in_order(client: TestClient) -> None:
    response = client.post(
        "/api/compare",
        json={"question": "How many corvettes does the Navy operate?", "docs": [NEW, OLD]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["documents"] == [NEW, OLD]
    assert "five corvettes" in body["answers"][NEW]["text"]
    assert "three corvettes" in body["answers"][OLD]["text"]
    named = client.post(
        "/api/compare", json={"question": "Compare the 2019 and 2021 white papers on conscripts"}
    )
    assert named.json()["documents"] == [OLD, NEW]


def test_compare_errors_say_what_is_wrong(client: TestClient) -> None:
    one = client.post("/api/compare", json={"question": "Corvettes?", "docs": [NEW]})
    assert one.status_code == 400
    assert "2 to 4 different documents" in one.json()["error"]
    unknown = client.post("/api/compare", json={"question": "Corvettes?", "docs": [NEW, "x"]})
    assert unknown.status_code == 404


def test_feedback_is_recorded_and_exported_as_json_lines(client: TestClient) -> None:
    answer = client.post("/api/ask", json={"question": "How many corvettes does the Navy operate?"})
    saved = client.post(
        "/api/feedback", json={"answer": answer.json(), "helpful": False, "note": "old figure"}
    )
    assert saved.status_code == 201
    assert (saved.json()["helpful"], saved.json()["note"]) == (False, "old figure")
    export = client.get("/api/feedback")
    assert export.headers["content-type"].startswith("application/x-ndjson")
    (line,) = export.text.splitlines()
    assert '"question": "How many corvettes does the Navy operate?"' in line
    bad = client.post("/api/feedback", json={"answer": {"text": "no question"}, "helpful": True})
    assert bad.status_code == 400
    assert "not an answer object" in bad.json()["error"]


def test_ask_searches_the_one_edition_the_question_names(client: TestClient) -> None:
    question = "How many corvettes does the Navy operate according to the 2019 white paper?"

    body = client.post("/api/ask", json={"question": question}).json()

    assert {c["doc_id"] for c in body["citations"]} == {OLD}
    assert {h["chunk"]["doc_id"] for h in body["hits"]} == {OLD}
    assert body["resolved_question"].endswith(
        "(searched in Northmark Defence White Paper 2019 only)"
    )


_CITATION = {"n": 1, "doc_id": "d", "title": "t", "pages": [1], "quote": "x"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("question", "q" * 2001),
        ("resolved_question", "q" * 2001),
        ("text", "a" * 20_001),
        ("citations", [_CITATION] * 101),
        ("citations", [{**_CITATION, "quote": "x" * 600_000}]),
    ],
)
def test_feedback_over_a_field_limit_is_refused_with_413_and_not_stored(
    client: TestClient, field: str, value: object
) -> None:
    answer = {"question": "How many corvettes?", "text": "Twelve.", "found": True, field: value}
    refused = client.post("/api/feedback", json={"answer": answer, "helpful": True})
    assert refused.status_code == 413
    assert "the limit is" in refused.json()["error"]
    note = client.post(
        "/api/feedback",
        json={"answer": {"question": "q", "text": "a"}, "helpful": True, "note": "n" * 2001},
    )
    assert note.status_code == 413
    assert client.get("/api/feedback").text == ""
