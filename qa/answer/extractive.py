"""Extractive answers: the best sentences of the retrieved passages, quoted with [n] citations,
the answering phrase marked, and "not found" when the answer model's confidence is low.

The answer model (``qa.answer.model``) ranks the candidate sentences and rows and estimates,
from the question's features, how likely the answer is to hold the fact; the checks of the
passages against the question (``qa.answer.signals``) are features of that estimate and,
when it says "not found", the reason given to the reader. This module assembles the answer:
the sentences chosen, grouped into quotes per passage and cited, or the closest passages.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from qa.answer.citations import PageLocator, cite
from qa.answer.features import question_features
from qa.answer.model import AnswerModel, load_model
from qa.answer.question import QuestionAnalysis, analyse
from qa.answer.ranking import Ranking, ScoredSentence, near_best, score_sentences
from qa.answer.shortanswer import asking, short_answer
from qa.answer.signals import question_signals, why_not_found
from qa.encoder import Encoder
from qa.retrieval.dedup import collapse_near_duplicates
from qa.settings import Settings
from qa.text import ROW_JOINER
from qa.types import SURE_CONFIDENCE, Answer, Hit

logger = logging.getLogger(__name__)

CLOSEST_SHOWN = 3
NOT_FOUND = "The indexed documents do not appear to answer this question."


def _select(ranking: Ranking, model: AnswerModel, settings: Settings) -> list[ScoredSentence]:
    """The best candidate, and up to ``answer_sentences`` in all that the model rates at least
    ``model.extra_share`` as likely, near-duplicates dropped."""
    near = near_best(ranking.logits, model.extra_share)
    strong = [s for s, kept in zip(ranking.sentences, near, strict=True) if kept]
    keep = collapse_near_duplicates([s.sentence.text for s in strong], settings.dedup_overlap)
    return [strong[i] for i in keep][: settings.answer_sentences]


def _quote(text: str, chosen: Sequence[ScoredSentence]) -> str:
    """One verbatim quote for a passage: the span of adjacent chosen sentences of one paragraph,
    else the best; a table's chosen rows in order, joined by ``ROW_JOINER``."""
    ordered = sorted(chosen, key=lambda s: s.index)
    if ordered[0].row is not None:
        return ROW_JOINER.join(s.sentence.text for s in ordered)
    adjacent = ordered[-1].index - ordered[0].index == len(ordered) - 1
    span = text[ordered[0].sentence.start : ordered[-1].sentence.end]
    if adjacent and "\n" not in span:
        return span
    return max(chosen, key=lambda s: s.logit).sentence.text


def _runs(hit: Hit, sentences: Sequence[ScoredSentence]) -> list[list[ScoredSentence]]:
    """The chosen sentences of one passage as quotes: runs of neighbours in one paragraph, in
    reading order, so that every sentence of the answer is in the quote its marker cites (a
    table's rows are one quote)."""
    in_order = sorted(sentences, key=lambda s: s.index)
    if in_order[0].row is not None:
        return [in_order]
    runs = [[in_order[0]]]
    for sentence in in_order[1:]:
        last = runs[-1][-1]
        between = hit.chunk.text[last.sentence.end : sentence.sentence.start]
        if sentence.index == last.index + 1 and "\n" not in between:
            runs[-1].append(sentence)
        else:
            runs.append([sentence])
    return runs


def _answer_found(
    question: str,
    analysis: QuestionAnalysis,
    hits: Sequence[Hit],
    chosen: Sequence[ScoredSentence],
    locate: PageLocator | None,
    model: AnswerModel,
    confidence: float,
    own_words: Sequence[str] | None = None,
) -> Answer:
    # Passages in the order of their best sentence; sentences in reading order inside each.
    by_passage: dict[int, list[ScoredSentence]] = {}
    for s in chosen:
        by_passage.setdefault(s.passage, []).append(s)
    parts: list[str] = []
    citations = []
    quotes = [(p, run) for p, sentences in by_passage.items() for run in _runs(hits[p], sentences)]
    for n, (p, in_order) in enumerate(quotes, start=1):
        hit = hits[p]
        joiner = ROW_JOINER if in_order[0].row is not None else " "
        parts.append(joiner.join(s.sentence.text for s in in_order) + f" [{n}]")
        rows = [s.row for s in in_order if s.row is not None]
        citations.append(cite(n, hit, _quote(hit.chunk.text, in_order), locate, rows))
    # A short answer states the fact in bold: only for an answer more likely right than wrong.
    sure = confidence >= SURE_CONFIDENCE
    asked = asking(question, own_words)
    short = (
        short_answer(
            analysis,
            asked,
            [s.sentence.text for s in chosen],
            [s.probability for s in chosen],
            model,
        )
        if sure
        else None
    )
    return Answer(
        question,
        " ".join(parts),
        tuple(citations),
        True,
        tuple(hits),
        short=short,
        confidence=confidence,
    )


def _answer_not_found(
    question: str,
    hits: Sequence[Hit],
    scored: Sequence[ScoredSentence],
    locate: PageLocator | None,
    reason: str,
    confidence: float,
) -> Answer:
    best_in_passage: dict[int, ScoredSentence] = {}
    for s in scored:
        best_in_passage.setdefault(s.passage, s)
    shown = list(best_in_passage.values())[:CLOSEST_SHOWN]
    text = f"{NOT_FOUND[:-1]}: {reason}."
    citations = [
        cite(n, hits[s.passage], s.sentence.text, locate, [s.row] if s.row is not None else [])
        for n, s in enumerate(shown, start=1)
    ]
    if citations:
        lines = [f"- {c.label}: “{c.quote}” [{c.n}]" for c in citations]
        text += " The closest passages are:\n" + "\n".join(lines)
    return Answer(
        question,
        text,
        tuple(citations),
        False,
        tuple(hits),
        missing=reason,
        confidence=confidence,
    )


def extractive_answer(
    question: str,
    hits: Sequence[Hit],
    encoder: Encoder,
    settings: Settings,
    *,
    query_vector: np.ndarray | None = None,
    locate: PageLocator | None = None,
    own_words: Sequence[str] | None = None,
    model: AnswerModel | None = None,
) -> Answer:
    """Answer with the best-ranked sentences of the top passages, each group cited ``[n]``.

    ``found`` is False when the model's confidence is below ``settings.min_confidence`` (by
    default the threshold fitted with the model): the text then says what the passages lack
    (see ``why_not_found``) and lists the closest passages, still cited. ``Answer.short`` is
    the phrase that answers, a slice of a quoted sentence. ``locate`` narrows each citation to
    the page its quote sits on; ``own_words`` marks the words a follow-up asked itself (see
    ``question_terms``); ``model`` defaults to ``settings.answer_model`` or the shipped one.
    """
    model = model or load_model(settings.answer_model)
    analysis = analyse(question)
    ranking = score_sentences(
        question,
        hits,
        encoder,
        settings,
        model,
        analysis=analysis,
        query_vector=query_vector,
        own_words=own_words,
    )
    carrying = [s for s in ranking.sentences if s.carries]
    signals = question_signals(question, analysis, hits, carrying)
    features = question_features(ranking.logits, ranking.rows, analysis, signals)
    confidence = float(model.confidence.probabilities(features)[0])
    threshold = model.threshold if settings.min_confidence is None else settings.min_confidence
    logger.debug("%r: confidence %.3f (threshold %.3f)", question, confidence, threshold)
    if not ranking.sentences or confidence < threshold:
        reason = why_not_found(analysis, ranking, signals, settings)
        return _answer_not_found(question, hits, ranking.sentences, locate, reason, confidence)
    chosen = _select(ranking, model, settings)
    return _answer_found(
        question, analysis, hits, chosen, locate, model, confidence, own_words=own_words
    )
