"""Readers' verdicts on answers, kept next to the index so a team can grow its own test set.

One SQLite file (``feedback.sqlite`` in the index folder): every thumbs up or down with the
question, what was searched, the answer text and its citations. ``export`` writes them as JSON
Lines in the shape ``citeqa eval`` reads back once a reviewer adds the gold ``answer``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from qa.errors import InvalidQuestion
from qa.types import Answer

logger = logging.getLogger(__name__)

FEEDBACK = "feedback.sqlite"
MAX_NOTE_CHARS = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    helpful INTEGER NOT NULL,
    note TEXT,
    question TEXT NOT NULL,
    resolved_question TEXT,
    answer TEXT NOT NULL,
    found INTEGER NOT NULL,
    citations TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Feedback:
    """One verdict: ``helpful`` is the thumb, ``answer`` the answer it was given on."""

    id: int
    at: float
    helpful: bool
    note: str | None
    answer: Answer

    def to_dict(self) -> dict[str, object]:
        answer = self.answer
        return {
            "id": self.id,
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.at)),
            "helpful": self.helpful,
            "note": self.note,
            "question": answer.question,
            "resolved_question": answer.resolved_question,
            "answer_text": answer.text,
            "found": answer.found,
            "citations": [
                {
                    "n": c.n,
                    "doc_id": c.doc_id,
                    "title": c.title,
                    "pages": list(c.pages),
                    "quote": c.quote,
                }
                for c in answer.citations
            ],
        }


class FeedbackLog:
    """The feedback file of one index folder. Cheap constructor; opens the file on first use."""

    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder) / FEEDBACK
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        return self._db

    def record(self, answer: Answer, *, helpful: bool, note: str | None = None) -> Feedback:
        """Store a verdict on ``answer``; the note is optional free text."""
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise InvalidQuestion(
                f"the note is {len(note)} characters; the limit is {MAX_NOTE_CHARS}"
            )
        citations = json.dumps([c.to_dict() for c in answer.citations], ensure_ascii=False)
        at = time.time()
        with self._lock:
            db = self._connection()
            with db:
                cursor = db.execute(
                    "INSERT INTO feedback (at, helpful, note, question, resolved_question, "
                    "answer, found, citations) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        at,
                        int(helpful),
                        note,
                        answer.question,
                        answer.resolved_question,
                        answer.text,
                        int(answer.found),
                        citations,
                    ),
                )
        logger.info("feedback %s on %r", "up" if helpful else "down", answer.question)
        return Feedback(int(cursor.lastrowid or 0), at, helpful, note, answer)

    def __iter__(self) -> Iterator[Feedback]:
        if not self.path.exists():
            return
        with self._lock:
            rows = (
                self._connection()
                .execute(
                    "SELECT id, at, helpful, note, question, resolved_question, answer, found, "
                    "citations FROM feedback ORDER BY id"
                )
                .fetchall()
            )
        for row_id, at, helpful, note, question, resolved, text, found, citations in rows:
            answer = Answer.from_dict(
                {
                    "question": question,
                    "resolved_question": resolved,
                    "text": text,
                    "found": bool(found),
                    "citations": json.loads(citations),
                }
            )
            yield Feedback(row_id, at, bool(helpful), note, answer)

    def export(self, path: str | Path | TextIO) -> int:
        """Write every verdict to ``path`` (or an open text stream) as JSON Lines; returns how
        many were written."""
        if not isinstance(path, (str, Path)):
            return self._write(path)
        with Path(path).open("w", encoding="utf-8") as out:
            return self._write(out)

    def _write(self, out: TextIO) -> int:
        count = 0
        for item in self:
            out.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
            count += 1
        return count

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
