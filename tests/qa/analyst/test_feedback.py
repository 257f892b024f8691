from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from qa import Engine
from qa.analyst.feedback import FEEDBACK, FeedbackLog
from qa.errors import InvalidQuestion
from tests.fakes import FakeEncoder
from ui.server import EXAMPLE_DIR


def test_verdicts_are_kept_in_the_index_folder_and_export_as_json_lines(tmp_path: Path) -> None:
    with Engine.open(tmp_path / "index", encoder=FakeEncoder()) as engine:
        engine.add(EXAMPLE_DIR)
        answer = engine.ask("How many fighter aircraft does the Air Force fly?")
        engine.feedback.record(answer, helpful=True)
        engine.feedback.record(
            engine.ask("What is the capital of France?"), helpful=False, note="off"
        )
    assert (tmp_path / "index" / FEEDBACK).is_file()
    # A later process reads them back, with the citations as they were.
    log = FeedbackLog(tmp_path / "index")
    out = tmp_path / "feedback.jsonl"
    assert log.export(out) == 2
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert first["helpful"] is True and first["note"] is None
    assert first["question"] == "How many fighter aircraft does the Air Force fly?"
    assert "24 multirole fighter aircraft" in first["answer_text"]
    assert first["citations"][0]["pages"] == [16]
    assert "24 multirole fighter aircraft" in first["citations"][0]["quote"]
    assert (second["helpful"], second["note"], second["found"]) == (False, "off", False)
    stream = io.StringIO()
    assert log.export(stream) == 2
    assert stream.getvalue() == out.read_text(encoding="utf-8")
    log.close()


def test_an_overlong_note_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    from qa.types import Answer

    log = FeedbackLog(tmp_path)
    with pytest.raises(InvalidQuestion, match="the limit is 2000"):
        log.record(Answer(question="q", text="a"), helpful=True, note="x" * 2001)
    assert list(log) == []
    log.close()
