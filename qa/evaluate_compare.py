"""Compare mode on a JSON Lines question set: is each document's answer in its own column?

Each line: ``question`` and ``parts``, a list of ``{"doc", "answer"}``: the documents compared,
in order, and a verbatim span each one's answer should hold. The engine is given the documents
(as a user choosing them would); whether the question alone names the same documents is
measured too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.analyst.compare import named_documents
from qa.engine import Engine
from qa.evaluate import normalize

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Part:
    doc: str
    answer: str


@dataclass(frozen=True)
class CompareQuestion:
    question: str
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class CompareReport:
    """``in_column``: document answers holding their span, of ``document_answers``;
    ``answered``: those not "not found"; ``named``: questions whose documents are read from
    the question alone, in order."""

    questions: int
    document_answers: int
    in_column: int
    answered: int
    named: int

    def format(self) -> str:
        return (
            f"compare: {self.in_column}/{self.document_answers} document answers hold their "
            f"span in their own column; {self.answered}/{self.document_answers} answered; "
            f"documents read from the question: {self.named}/{self.questions}"
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "questions": self.questions,
            "document_answers": self.document_answers,
            "in_column": self.in_column,
            "answered": self.answered,
            "named": self.named,
        }


def _records(path: str | Path) -> list[tuple[int, Any]]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    records = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                records.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc})") from exc
    return records


def is_compare_set(path: str | Path) -> bool:
    """Whether the question file holds comparisons (records with ``parts``)."""
    records = _records(path)
    return bool(records) and isinstance(records[0][1], dict) and "parts" in records[0][1]


def load_compare_questions(path: str | Path) -> list[CompareQuestion]:
    questions = []
    for number, record in _records(path):
        try:
            parts = tuple(Part(str(p["doc"]), str(p["answer"])) for p in record["parts"])
            questions.append(CompareQuestion(str(record["question"]), parts))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a comparison record ({exc})") from exc
    return questions


def evaluate_compare(engine: Engine, questions: Sequence[CompareQuestion]) -> CompareReport:
    titles = {d.doc_id: d.title for d in engine.documents()}
    in_column = answered = named = total = 0
    for question in questions:
        docs = [part.doc for part in question.parts]
        named += [n.doc_id for n in named_documents(question.question, titles)] == docs
        answers = engine.compare(question.question, docs)
        for part in question.parts:
            answer = answers[part.doc]
            total += 1
            answered += answer.found
            holds = answer.found and normalize(part.answer) in normalize(answer.text)
            in_column += holds
            if not holds:
                logger.info("%s: span not in its column: %r", part.doc, part.answer)
    return CompareReport(len(questions), total, in_column, answered, named)
