from __future__ import annotations

from qa.ingest.jsonl import parse_jsonl
from tests.conftest import FIXTURES


def test_each_record_is_a_document_with_its_id() -> None:
    path = FIXTURES / "documents" / "records.jsonl"
    records = parse_jsonl(path.read_text(encoding="utf-8"), str(path), "records.jsonl")

    assert records.errors == ()
    assert [(d.id, d.title) for d in records.documents] == [
        ("memo-7", "Memo on Radar Upgrades"),
        ("42", "Note on Training Ranges"),
    ]
    assert (
        records.documents[0].text.split("\n\n")[1] == "Technicians from the air wing install them."
    )
    assert records.documents[0].pages is None


def test_bad_lines_are_reported_with_line_numbers_and_good_lines_still_load() -> None:
    text = "\n".join(
        [
            '{"id": "a", "title": "Alpha", "text": "First record."}',
            '{"id": "b", "title": "Beta", "text": ',
            "",
            '["not", "an", "object"]',
            '{"title": "No id", "text": "Orphan."}',
            '{"id": "a", "text": "Same id again."}',
            '{"id": "c", "text": "Untitled record."}',
        ]
    )
    records = parse_jsonl(text, "batch.jsonl", "batch.jsonl")

    assert [d.id for d in records.documents] == ["a", "c"]
    assert records.documents[1].title == "c"
    reasons = [error.reason for error in records.errors]
    assert [reason.split(":")[0] for reason in reasons] == ["line 2", "line 4", "line 5", "line 6"]
    assert "invalid JSON" in reasons[0]
    assert "duplicate id" in reasons[3]
    assert all(error.path == "batch.jsonl" for error in records.errors)
