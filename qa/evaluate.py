"""Retrieval and answer quality on a JSON Lines question set.

Each line: ``question``, ``answer`` (verbatim span, or null when the collection cannot answer),
and gold ``page`` (with ``doc`` naming the document) or ``doc`` alone (a file name without
extension, matched against a chunk's ``doc_id`` or its ``source`` stem). A conversation gives
``turns`` instead of ``question``: the gold answer is the last turn's, asked after the others.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePath

from qa.answer.citations import quote_pages
from qa.engine import Engine
from qa.text import ROW_JOINER
from qa.types import CELL_JOINER, Answer, Chunk, Hit

CUTOFFS = (1, 5, 10)
COVERAGES = (0.5, 0.7, 0.9, 1.0)


@dataclass(frozen=True)
class Question:
    """``history`` holds the earlier turns of a conversation (oldest first)."""

    question: str
    answer: str | None
    page: int | None = None
    doc: str | None = None
    history: tuple[str, ...] = ()


FOLLOWUP_MODES = ("resolved", "alone", "glued")
"""How a conversation's last turn is asked: with its history (``resolved``), on its own, or
glued after the previous question as one query (the naive baseline)."""


@dataclass(frozen=True)
class Report:
    """Retrieval (recall@k, MRR@10 over questions with a gold page or document), answers (gold
    span in the answer, in the short answer, exactly the short answer), citations, and
    abstention: recall = share of unanswerable questions answered "not found", precision =
    share of "not found" answers given to unanswerable questions."""

    questions: int
    retrieval_questions: int
    recall: dict[int, float]
    mrr_at_10: float
    answer_contains_gold: float
    citations_on_page: float
    answered_when_answerable: float
    abstention_rate: float | None
    short_contains_gold: float = 0.0
    short_exact: float = 0.0
    abstention_precision: float | None = None
    risk_coverage: dict[float, float] | None = None
    coverage_area: float | None = None

    def format(self, label: str = "") -> str:
        head = f"{label}: " if label else ""
        recall = " ".join(f"recall@{c}={self.recall[c]:.3f}" for c in CUTOFFS)
        lines = [
            f"{head}{self.retrieval_questions} retrieval questions: {recall} "
            f"MRR@10={self.mrr_at_10:.3f}",
            f"answers containing the gold span: {self.answer_contains_gold:.3f}",
            f"short answers containing the gold span: {self.short_contains_gold:.3f} "
            f"(exactly the gold span: {self.short_exact:.3f})",
            f"citations whose pages hold the quote: {self.citations_on_page:.3f}",
            f"answered when answerable: {self.answered_when_answerable:.3f}",
        ]
        if self.risk_coverage:
            table = " ".join(f"{c:.0%}={p:.3f}" for c, p in self.risk_coverage.items())
            lines.append(
                f"precision of the most confident answers by coverage: {table} "
                f"(area {self.coverage_area:.3f})"
            )
        if self.abstention_rate is not None:
            precision = (
                f"{self.abstention_precision:.3f}" if self.abstention_precision is not None else "-"
            )
            lines.append(
                f"abstention on unanswerable: recall {self.abstention_rate:.3f}, "
                f"precision {precision}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        return {
            "questions": self.questions,
            "retrieval_questions": self.retrieval_questions,
            **{f"recall@{c}": self.recall[c] for c in CUTOFFS},
            "mrr@10": self.mrr_at_10,
            "answer_contains_gold": self.answer_contains_gold,
            "citations_on_page": self.citations_on_page,
            "answered_when_answerable": self.answered_when_answerable,
            "abstention_rate": self.abstention_rate,
            "abstention_precision": self.abstention_precision,
            "short_contains_gold": self.short_contains_gold,
            "short_exact": self.short_exact,
            "risk_coverage": {str(c): p for c, p in (self.risk_coverage or {}).items()},
            "coverage_area": self.coverage_area,
        }


def load_questions(path: str | Path) -> list[Question]:
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            turns = record.get("turns") or [record["question"]]
            questions.append(
                Question(
                    question=turns[-1],
                    answer=record.get("answer"),
                    page=record.get("page"),
                    doc=record.get("doc"),
                    history=tuple(turns[:-1]),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a question record ({exc})") from exc
    return questions


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _doc_matches(chunk: Chunk, doc: str) -> bool:
    stem = PurePath(chunk.source).stem if chunk.source else None
    return doc in (chunk.doc_id, stem, chunk.title)


def is_relevant(chunk: Chunk, question: Question) -> bool:
    """Gold page (when given) or gold document; a chunk holding the gold span always counts."""
    if question.answer and normalize(question.answer) in normalize(chunk.text):
        return (
            question.doc is None or question.page is not None or _doc_matches(chunk, question.doc)
        )
    if question.page is not None:
        return question.page in chunk.pages and (
            question.doc is None or _doc_matches(chunk, question.doc) or not chunk.title
        )
    return question.doc is not None and _doc_matches(chunk, question.doc)


def first_relevant_rank(hits: Sequence[Hit], question: Question) -> int | None:
    for position, hit in enumerate(hits, start=1):
        if is_relevant(hit.chunk, question):
            return position
    return None


def risk_coverage(
    confidence: Sequence[float], correct: Sequence[bool]
) -> tuple[dict[float, float], float]:
    """Pure metric: answering only the most confident share of the questions, how many of
    those answers hold the fact. Returns precision at each of ``COVERAGES`` and the area under
    the precision-coverage curve (the mean precision over answering the top 1, 2, ... n).

    An answer to an unanswerable question counts as not holding the fact.
    """
    if not confidence:
        return {}, 0.0
    order = sorted(range(len(confidence)), key=lambda i: -confidence[i])
    hits = [bool(correct[i]) for i in order]
    cumulative, precision = 0, []
    for k, hit in enumerate(hits, start=1):
        cumulative += hit
        precision.append(cumulative / k)
    table = {c: precision[max(1, round(c * len(hits))) - 1] for c in COVERAGES}
    return table, sum(precision) / len(precision)


def recall_and_mrr(ranks: Sequence[int | None]) -> tuple[dict[int, float], float]:
    """Pure metric: ``ranks`` holds the 1-based rank of the first relevant hit, or None."""
    if not ranks:
        return {c: 0.0 for c in CUTOFFS}, 0.0
    recall = {c: sum(1 for r in ranks if r is not None and r <= c) / len(ranks) for c in CUTOFFS}
    mrr = sum(1.0 / r for r in ranks if r is not None and r <= 10) / len(ranks)
    return recall, mrr


def _passage_holds(part: str, passage: str) -> bool:
    """``part`` is in ``passage`` as written, or (a table row) cell by cell, in order."""
    text = normalize(passage)
    if normalize(part) in text:
        return True
    position = 0
    for cell in part.split(CELL_JOINER):
        position = text.find(normalize(cell), position)
        if position < 0:
            return False
    return True


def citation_holds(engine: Engine, answer: Answer) -> list[bool]:
    """For each citation: do its cited pages (or its passage, without pages) hold the quote?

    A quote of several table rows (or elided sentences) holds when each part does.
    """
    results = []
    for citation in answer.citations:
        parts = [p for p in citation.quote.split(ROW_JOINER) if p.strip()]
        if citation.pages:
            holding = [quote_pages(engine, citation.doc_id, citation.pages, part) for part in parts]
            pages = set(citation.pages)
            results.append(all(found and set(found) <= pages for found in holding))
        else:
            results.append(all(_passage_holds(part, citation.passage) for part in parts))
    return results


def has_conversations(questions: Sequence[Question]) -> bool:
    return any(q.history for q in questions)


def after_unrelated(questions: Sequence[Question]) -> list[Question]:
    """Each question as the second turn of a conversation whose first turn is the question
    before it in the set: a follow-up detector must leave self-contained questions alone."""
    return [replace(q, history=(questions[i - 1].question,)) for i, q in enumerate(questions)]


def _asked(
    engine: Engine, question: Question, followups: str
) -> tuple[str, list[tuple[str, Answer]] | None]:
    """The query to ask and the history to ask it with, for ``followups`` mode."""
    if not question.history:
        return question.question, None
    if followups == "alone":
        return question.question, None
    if followups == "glued":
        return f"{question.history[-1]} {question.question}", None
    history: list[tuple[str, Answer]] = []
    for turn in question.history:
        history.append((turn, engine.ask(turn, history=history or None)))
    return question.question, history


def evaluate(
    engine: Engine,
    questions: Sequence[Question],
    *,
    mode: str | None = None,
    answers: bool = True,
    followups: str = "resolved",
) -> Report:
    if followups not in FOLLOWUP_MODES:
        raise ValueError(f"followups must be one of {FOLLOWUP_MODES}, got {followups!r}")
    ranks: list[int | None] = []
    contains: list[bool] = []
    answered: list[bool] = []
    abstained: list[bool] = []
    citations: list[bool] = []
    short_contains: list[bool] = []
    short_exact: list[bool] = []
    confidence: list[float] = []
    holds: list[bool] = []
    for question in questions:
        asked, history = _asked(engine, question, followups)
        if question.answer is not None and (question.page is not None or question.doc):
            hits = engine.search(asked, k=10, mode=mode, history=history)
            ranks.append(first_relevant_rank(hits, question))
        if not answers:
            continue
        answer = engine.ask(asked, history=history)
        citations.extend(citation_holds(engine, answer))
        if answer.confidence is not None:
            confidence.append(answer.confidence)
            gold_held = question.answer is not None and normalize(question.answer) in normalize(
                answer.text
            )
            holds.append(answer.found and gold_held)
        if question.answer is None:
            abstained.append(not answer.found)
        else:
            answered.append(answer.found)
            gold = normalize(question.answer)
            contains.append(answer.found and gold in normalize(answer.text))
            short = normalize(answer.short or "") if answer.found else ""
            short_contains.append(bool(short) and gold in short)
            short_exact.append(bool(short) and gold == short)
    recall, mrr = recall_and_mrr(ranks)
    coverage, area = risk_coverage(confidence, holds) if confidence else (None, None)

    def share(values: list[bool]) -> float:
        return sum(values) / len(values) if values else 0.0

    return Report(
        questions=len(questions),
        retrieval_questions=len(ranks),
        recall=recall,
        mrr_at_10=mrr,
        answer_contains_gold=share(contains),
        citations_on_page=share(citations) if citations else 1.0,
        answered_when_answerable=share(answered),
        abstention_rate=share(abstained) if abstained else None,
        short_contains_gold=share(short_contains),
        short_exact=share(short_exact),
        abstention_precision=_precision(abstained, answered),
        risk_coverage=coverage,
        coverage_area=area,
    )


def _precision(abstained: list[bool], answered: list[bool]) -> float | None:
    """Share of "not found" answers that went to unanswerable questions."""
    right = sum(abstained)
    wrong = sum(1 for found in answered if not found)
    return right / (right + wrong) if right + wrong else None
