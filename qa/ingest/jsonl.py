"""JSON Lines: one ``{"id", "title", "text"}`` record per line, one Document per record."""

from __future__ import annotations

import json
from dataclasses import dataclass

from qa.errors import IngestError
from qa.types import Document


@dataclass(frozen=True)
class JsonlRecords:
    """The good records of one file, and an error naming the line of each bad one."""

    documents: tuple[Document, ...]
    errors: tuple[IngestError, ...]


def parse_jsonl(text: str, path: str, source: str | None) -> JsonlRecords:
    """Read every line; a bad line is reported and skipped, the others still load.

    ``title`` defaults to the id; ``id`` may be a string or an integer.
    """
    documents: list[Document] = []
    errors: list[IngestError] = []
    seen: set[str] = set()
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            document = _record(line, source)
        except ValueError as error:
            errors.append(IngestError(path, f"line {number}: {error}"))
            continue
        if document.id in seen:
            errors.append(IngestError(path, f"line {number}: duplicate id {document.id!r}"))
            continue
        seen.add(document.id)
        documents.append(document)
    if not documents and not errors:
        errors.append(IngestError(path, "empty file"))
    return JsonlRecords(tuple(documents), tuple(errors))


def _record(line: str, source: str | None) -> Document:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON ({error.msg} at column {error.colno})") from error
    except RecursionError as error:
        # The json module recurses per nesting level; a hostile line can nest thousands deep.
        raise ValueError("JSON nested too deeply") from error
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object with id, title and text")
    doc_id = record.get("id")
    if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)) or not str(doc_id).strip():
        raise ValueError('"id" must be a non-empty string or an integer')
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError('"text" must be a non-empty string')
    title = record.get("title", "")
    if not isinstance(title, str):
        raise ValueError('"title" must be a string')
    return Document(
        id=str(doc_id),
        title=title.strip() or str(doc_id),
        # JSON escapes keep Windows newlines that decoding the file did not see.
        text=text.replace("\r\n", "\n").strip("\n"),
        source=source,
    )
