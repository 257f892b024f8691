"""The compare, feedback and compare-eval commands, with the fake encoder in place of MiniLM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import qa.cli
from qa import Engine
from qa.cli import main
from tests.fakes import FakeEncoder
from tests.qa.editions import EDITIONS, NEW, OLD

# The fake encoder in place of MiniLM, for every command.
from tests.qa.test_cli import fake_model

__all__ = ["fake_model"]


@pytest.fixture
def index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    folder = str(tmp_path / "index")
    assert main(["index", str(EDITIONS), "--index", folder]) == 0
    capsys.readouterr()
    return folder


def test_compare_prints_one_answer_per_document(
    index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    question = "How many corvettes does the Navy operate?"
    assert main(["compare", question, "--doc", OLD, "--doc", NEW, "--index", index]) == 0
    out = capsys.readouterr().out
    old, new = out.split("== Northmark Defence White Paper 2021")
    assert old.startswith(f"== Northmark Defence White Paper 2019 ({OLD})")
    assert "three corvettes" in old and "five corvettes" not in old
    assert "five corvettes" in new and "[1] Northmark Defence White Paper 2021, p. 3" in new


def test_compare_reads_the_documents_from_the_question_and_prints_json(
    index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    question = "How many corvettes do the 2019 and 2021 white papers say the Navy operates?"
    assert main(["compare", question, "--json", "--index", index]) == 0
    answers = json.loads(capsys.readouterr().out)
    assert list(answers) == [OLD, NEW]
    assert answers[NEW]["citations"][0]["doc_id"] == NEW


def test_compare_without_documents_is_a_usage_error(
    index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", "How many corvettes?", "--doc", OLD, "--index", index]) == 2
    assert "compare takes 2 to 4 different documents" in capsys.readouterr().err


def test_feedback_export_writes_json_lines_without_loading_a_model(
    index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Engine.open(index, encoder=FakeEncoder()) as engine:
        engine.feedback.record(
            engine.ask("How many corvettes does the Navy operate?"), helpful=True
        )
    monkeypatch.setattr(qa.cli.command, "open_engine", None)  # the model must not be needed
    assert main(["feedback", "export", "--index", index]) == 0
    captured = capsys.readouterr()
    (line,) = captured.out.splitlines()
    assert json.loads(line)["question"] == "How many corvettes does the Navy operate?"
    assert "1 verdicts exported" in captured.err
    out = tmp_path / "verdicts.jsonl"
    assert main(["feedback", "export", "-o", str(out), "--index", index, "-q"]) == 0
    assert out.read_text(encoding="utf-8") == f"{line}\n"
    assert main(["feedback", "export", "--index", str(tmp_path / "nothing")]) == 2


def test_eval_measures_a_compare_set(
    index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = tmp_path / "compare.jsonl"
    record = {
        "question": "How many soldiers does the Army comprise in the 2019 and 2021 editions?",
        "parts": [
            {"doc": OLD, "answer": "12,000 active soldiers"},
            {"doc": NEW, "answer": "14,500 active soldiers"},
        ],
    }
    questions.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert main(["eval", str(questions), "--index", index]) == 0
    assert capsys.readouterr().out.strip() == (
        "compare: 2/2 document answers hold their span in their own column; 2/2 answered; "
        "documents read from the question: 1/1"
    )
