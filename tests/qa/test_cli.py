"""The index/search/ask/docs/remove/eval commands, with the fake encoder in place of MiniLM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import qa.cli
from qa import Engine
from qa.cli import main
from tests.conftest import FIXTURES
from tests.fakes import FakeEncoder

DOCS = FIXTURES / "documents"


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        qa.cli,
        "_open_engine",
        lambda args, create=False: Engine.open(args.index, encoder=FakeEncoder(), create=create),
    )


@pytest.fixture
def index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    folder = str(tmp_path / "index")
    assert main(["index", str(DOCS), "--index", folder]) == 0
    capsys.readouterr()
    return folder


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_index_reports_what_it_did(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(tmp_path / "index")
    assert main(["index", str(DOCS), "--index", folder]) == 0
    assert "added" in capsys.readouterr().err
    assert main(["index", str(DOCS), "--index", folder]) == 0
    assert "0 chunks embedded" in capsys.readouterr().err


def test_docs_search_and_ask_print_parseable_json(
    index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = run_json(capsys, "docs", "--index", index)
    assert isinstance(docs, list) and docs
    assert {"doc_id", "title", "pages", "chunks", "source"} <= set(docs[0])

    hits = run_json(capsys, "search", "harbour patrol boats", "-k", "3", "--index", index)
    assert isinstance(hits, list) and 0 < len(hits) <= 3
    assert {"doc_id", "pages", "text"} <= set(hits[0]["chunk"])

    answer = run_json(capsys, "ask", "What guards the harbour?", "--index", index)
    assert {"text", "found", "citations"} <= set(answer)
    for citation in answer["citations"]:
        assert f"[{citation['n']}]" in answer["text"]


def test_search_can_be_restricted_to_one_document(
    index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc_id = run_json(capsys, "docs", "--index", index)[0]["doc_id"]
    hits = run_json(capsys, "search", "the", "--doc", doc_id, "--index", index)
    assert {hit["chunk"]["doc_id"] for hit in hits} == {doc_id}


def test_remove_drops_a_document_and_refuses_unknown_ids(
    index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = run_json(capsys, "docs", "--index", index)
    assert main(["remove", before[0]["doc_id"], "--index", index]) == 0
    after = run_json(capsys, "docs", "--index", index)
    assert len(after) == len(before) - 1
    assert main(["remove", "no-such-doc", "--index", index]) == 2
    assert "citeqa: error: unknown document id: 'no-such-doc'" in capsys.readouterr().err


def test_eval_prints_metrics_for_every_mode(
    index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc_id = run_json(capsys, "docs", "--index", index)[0]["doc_id"]
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        json.dumps({"question": "harbour patrol", "answer": "harbour", "doc": doc_id})
        + "\n"
        + json.dumps({"question": "What is the capital of Zembla?", "answer": None})
        + "\n"
    )
    report = run_json(capsys, "eval", str(questions), "--compare", "--index", index)
    assert set(report) == {"hybrid", "dense", "lexical"}
    assert report["hybrid"]["retrieval_questions"] == 1
    assert 0.0 <= report["hybrid"]["mrr@10"] <= 1.0
    assert report["hybrid"]["abstention_rate"] is not None
