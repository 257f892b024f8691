"""Readers' verdicts on answers, kept next to the index so a team can grow its own test set.

One SQLite file (``feedback.sqlite`` in the index folder): every thumbs up or down with the
question, what was searched, the answer text and its citations. ``export`` writes them as JSON
Lines in the shape ``citeqa eval`` reads back once a reviewer adds the gold ``answer``.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from qa.errors import FeedbackTooLarge
from qa.types import Answer

logger = logging.getLogger(__name__)

FEEDBACK = "feedback.sqlite"
MAX_NOTE_CHARS = 2000
# Verdicts come from clients, so every field has a limit that a real answer stays well under:
# a language model's answer is at most a page, and an answer cites at most the 100 passages
# it may read (qa.settings.MAX_K), each a chunk of a few hundred words or a table.
MAX_ANSWER_CHARS = 20_000
MAX_CITATIONS = 100
MAX_CITATIONS_CHARS = 500_000

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

    def __init__(self, folder: str | Path, *, max_question_chars: int = 2000) -> None:
        """``max_question_chars`` caps the question (the engine passes ``max_query_chars``)."""
        self.path = Path(folder) / FEEDBACK
        self.max_question_chars = max_question_chars
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            # Owner-only before SQLite creates it; its -wal and -shm files take the same mode.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        return self._db

    def record(self, answer: Answer, *, helpful: bool, note: str | None = None) -> Feedback:
        """Store a verdict on ``answer``; the note is optional free text.

        ``FeedbackTooLarge`` when a field is over its limit: nothing is stored then.
        """
        if len(answer.citations) > MAX_CITATIONS:
            raise FeedbackTooLarge(
                f"the answer has {len(answer.citations)} citations; the limit is {MAX_CITATIONS}"
            )
        citations = json.dumps([c.to_dict() for c in answer.citations], ensure_ascii=False)
        limits = (
            ("note", note or "", MAX_NOTE_CHARS),
            ("question", answer.question, self.max_question_chars),
            ("resolved question", answer.resolved_question or "", self.max_question_chars),
            ("answer", answer.text, MAX_ANSWER_CHARS),
            ("citations", citations, MAX_CITATIONS_CHARS),
        )
        for name, value, limit in limits:
            if len(value) > limit:
                raise FeedbackTooLarge(
                    f"the {name} is {len(value)} characters; the limit is {limit}"
                )
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
