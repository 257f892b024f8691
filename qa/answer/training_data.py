"""The answer model's training data: each question of a set asked of its index as ``citeqa
eval`` asks it, its candidate sentences and rows and their phrases featured and labelled by
whether they hold the gold span, with unanswerable twins (see ``collect``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from qa.answer.features import QuestionSignals, candidate_table
from qa.answer.phrase_features import SPAN_FEATURES, phrase_features
from qa.answer.phrases import phrases
from qa.answer.question import QuestionAnalysis, analyse
from qa.answer.ranking import ScoredSentence
from qa.answer.scoring import similarities
from qa.answer.shortanswer import asking
from qa.answer.signals import question_signals
from qa.engine import Engine
from qa.evaluate import Question, normalize
from qa.text import YEAR
from qa.types import Answer, Hit

PHRASE_SENTENCES_KEPT = 10
# A phrase teaches the short answer when it holds the gold span with at most this many words
# more: the ranker learns to cut the answer out, not to quote most of the sentence.
SHORT_SLACK_WORDS = 3
# Every this many questions of a file get an unanswerable twin (see ``collect``).
TWIN_EVERY = 2
# A near-miss twin asks about a year this far from the one its question names.
SWAP_YEARS = 7


@dataclass
class QuestionData:
    """One asked question: its candidates' features and labels, and its phrases'."""

    file: str
    question: str
    answerable: bool
    analysis: QuestionAnalysis
    signals: QuestionSignals
    cheap: np.ndarray  # (n, len(CHEAP))
    dense: np.ndarray  # (n,)
    labels: np.ndarray  # (n,) bool: the candidate holds the gold span
    passages: int
    phrase_rows: list[np.ndarray]  # per candidate: (m_i, len(SPAN_FEATURES))
    phrase_labels: list[np.ndarray]  # per candidate: (m_i,) bool: holds gold, few words more
    phrase_holds: list[np.ndarray]  # per candidate: (m_i,) bool: holds the gold span
    asked: str = ""  # the words a short answer should not repeat (see ``shortanswer.asking``)
    gold: str | None = None
    # Per candidate, the sentence whose phrases were collected ("" where none were), so that
    # a cache survives changes to the phrase features.
    sentences: tuple[str, ...] = ()
    twin: bool = False  # asked over another question's passages: unanswerable by design


def _holds(gold: str | None, text: str) -> bool:
    return gold is not None and normalize(gold) in normalize(text)


def _question_data(
    engine: Engine,
    file: str,
    question: str,
    query: str,
    own: Sequence[str] | None,
    hits: Sequence[Hit],
    gold: str | None,
) -> QuestionData:
    """The features and labels of ``query`` (``question`` resolved) over ``hits``."""
    analysis = analyse(query)
    passages = min(engine.settings.answer_passages, len(hits))
    table = candidate_table(query, hits, analysis, passages=passages, own_words=own)
    texts = [c.unit.scored for c in table.candidates]
    vector = engine.encoder.encode([query])[0]
    dense = similarities(engine.encoder, query, texts, vector) if texts else np.zeros(0)
    quoted = [c.unit.sentence.text for c in table.candidates]
    labels = np.array([_holds(gold, t) for t in quoted], dtype=bool)
    carrying = tuple(
        ScoredSentence(c.passage, c.index, c.unit.sentence, 0, 0, 0, 0, c.unit.row, True, t)
        for c, t, carried in zip(table.candidates, texts, table.column("carries"), strict=True)
        if carried
    )
    signals = question_signals(query, analysis, hits, carrying)
    # Phrases of the sentences that may be quoted first: those holding the gold span and the
    # closest by similarity and words (the rest are never the best sentence).
    promising = set(np.argsort(-(dense + table.column("lexical")))[:PHRASE_SENTENCES_KEPT])
    sentences = tuple(t if i in promising or labels[i] else "" for i, t in enumerate(quoted))
    asked = asking(query, own)
    phrase_rows, phrase_labels, phrase_holds = _phrase_data(analysis, asked, sentences, gold)
    return QuestionData(
        file,
        question,
        gold is not None,
        analysis,
        signals,
        table.cheap,
        np.asarray(dense, dtype=np.float64),
        labels,
        passages,
        phrase_rows,
        phrase_labels,
        phrase_holds,
        asked,
        gold,
        sentences,
    )


def _phrase_data(
    analysis: QuestionAnalysis, asked: str, sentences: Sequence[str], gold: str | None
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Per sentence, its phrases' features, whether each is a right short answer to learn
    from (the gold span and at most ``SHORT_SLACK_WORDS`` more) and whether each holds it."""
    rows, labels, holds = [], [], []
    longest = len(gold.split()) + SHORT_SLACK_WORDS if gold else 0
    for sentence in sentences:
        found = phrases(analysis, asked, sentence) if sentence else []
        rows.append(
            phrase_features(analysis, asked, sentence, found)
            if found
            else np.zeros((0, len(SPAN_FEATURES)))
        )
        held = np.array([_holds(gold, p.text) for p in found], dtype=bool)
        holds.append(held)
        labels.append(held & np.array([len(p.text.split()) <= longest for p in found], dtype=bool))
    return rows, labels, holds


def rephrased(data: QuestionData) -> QuestionData:
    """``data`` with its phrases found again by today's code (its passages' features kept)."""
    rows, labels, holds = _phrase_data(data.analysis, data.asked, data.sentences, data.gold)
    return replace(data, phrase_rows=rows, phrase_labels=labels, phrase_holds=holds)


def collect(engine: Engine, questions: Sequence[Question], file: str) -> list[QuestionData]:
    """Features and labels of every question of ``file`` asked of ``engine``, with unanswerable
    twins: every ``TWIN_EVERY``-th question asked over the passages found for another question
    of the file (as when a collection lacks the topic), and near misses of the others (see
    ``_swapped``), each kept only when its passages do not answer it after all."""
    depth = max(engine.settings.top_k, engine.settings.answer_passages)
    out = []
    found: list[tuple[str, Sequence[str] | None, list[Hit]]] = []
    for question in questions:
        history: list[tuple[str, Answer]] = []
        for turn in question.history:
            history.append((turn, engine.ask(turn, history=history or None)))
        resolution = engine.resolve(question.question, history or None)
        hits = engine.search(question.question, k=depth, history=history or None)
        own = resolution.own_words if resolution.followup else None
        found.append((resolution.query, own, hits))
        out.append(
            _question_data(
                engine, file, question.question, resolution.query, own, hits, question.answer
            )
        )
    for i in range(0, len(questions), TWIN_EVERY):
        query, own, _ = found[i]
        hits = found[(i + len(found) // 2) % len(found)][2]
        gold = questions[i].answer
        if len(found) < 2 or any(_holds(gold, h.chunk.text) for h in hits):
            continue
        twin = _question_data(engine, file, questions[i].question, query, own, hits, None)
        out.append(replace(twin, twin=True))
    names = [n for q in questions if not q.history for n in analyse(q.question).names]
    for i in range(1, len(questions), TWIN_EVERY):
        swapped = _swapped(questions[i], names, i)
        if swapped is None:
            continue
        hits = engine.search(swapped, k=depth)
        if any(_holds(questions[i].answer, h.chunk.text) for h in hits[:1]):
            # The swapped name or year still finds the answer first: too close to call.
            continue
        twin = _question_data(engine, file, swapped, swapped, None, hits, None)
        out.append(replace(twin, twin=True))
    return out


def _swapped(question: Question, names: Sequence[str], seed: int) -> str | None:
    """A near miss of an answerable single question: a year moved by a few years, or a name it
    asks about swapped for a name another question of the set asks about."""
    if question.answer is None or question.history:
        return None
    text = question.question
    years = YEAR.findall(text)
    if years and seed % 2:
        moved = str(int(years[-1]) + SWAP_YEARS)
        return text.replace(years[-1], moved)
    own = [n for n in analyse(text).names if n in text and not any(c.isdigit() for c in n)]
    others = [n for n in names if n not in text and not any(c.isdigit() for c in n)]
    if not own or not others:
        return None
    return text.replace(own[0], others[seed % len(others)], 1)
