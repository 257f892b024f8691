"""The short answer: the phrase of a quoted sentence that answers the question ("300,000",
"KRW 46.7 trillion", "5 February 2023"). Always a whole phrase sliced from the sentence, never
rewritten, and only given when the answer model trusts it.

Candidates (``qa.answer.phrases``) are the sentence's typed phrases (figures with what they
count, dates, durations, names, purposes, enumerations), its runs of words the question does
not already say, its clauses, and every other whole-word window of up to ``SHORT_MAX_WORDS``
words inside one table cell or clause ("from 39 to 33", "Approx. 5.7 million", "45% of the
minimum wage"); the hand-set choice of earlier versions (``qa.answer.rule_choice``) is one of
their features (``qa.answer.phrase_features``). The model in ``qa.answer.model`` scores them;
this module picks the best, which is the short answer when its share of the chance and the
answer's confidence are high enough.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from qa.answer.phrase_features import phrase_features
from qa.answer.phrases import phrases
from qa.answer.question import QuestionAnalysis

if TYPE_CHECKING:
    from qa.answer.model import AnswerModel

# The short answer is a phrase of one of this many best quoted sentences.
SHORT_SENTENCES = 2


def asking(question: str, own_words: Sequence[str] | None) -> str:
    """The words a short answer should not repeat: a follow-up's own (its resolved query also
    holds the earlier turn's, whose answer may be the very phrase asked for now), else the
    question's."""
    return " ".join(own_words) if own_words else question


def best_phrase(
    scores: Sequence[np.ndarray], probabilities: Sequence[float]
) -> tuple[int, int, float] | None:
    """(sentence, phrase, share) of the likeliest answer among the phrases of the quoted
    sentences: ``scores[i]`` are the phrase model's logits of sentence i's phrases (float, any
    length), ``probabilities[i]`` the ranker's probability that sentence i holds the answer.
    A phrase's chance is its share among its sentence's phrases times its sentence's
    probability; ``share`` is the former. None when no sentence has a phrase."""
    best: tuple[float, int, int, float] | None = None
    for i, (logits, probability) in enumerate(zip(scores, probabilities, strict=True)):
        if not len(logits):
            continue
        shares = logits - np.logaddexp.reduce(logits)
        b = int(np.argmax(shares))
        joint = float(shares[b]) + math.log(max(probability, 1e-12))
        if best is None or joint > best[0]:
            best = (joint, i, b, float(np.exp(shares[b])))
    return None if best is None else best[1:]


def short_answer(
    analysis: QuestionAnalysis,
    question: str,
    sentences: Sequence[str],
    probabilities: Sequence[float],
    model: AnswerModel,
) -> str | None:
    """The phrase of the best quoted ``sentences`` (best first, with the ranker's probability
    that each holds the answer) most likely to be the answer (see ``best_phrase``), or None
    when its share among its sentence's phrases is below ``model.short_threshold``: a short
    answer only where one phrase stands out."""
    found = [phrases(analysis, question, sentence) for sentence in sentences[:SHORT_SENTENCES]]
    scores = [
        model.short.logits(phrase_features(analysis, question, sentence, candidates))
        for sentence, candidates in zip(sentences, found, strict=False)
    ]
    chosen = best_phrase(scores, probabilities[: len(found)])
    if chosen is None:
        return None
    sentence, phrase, share = chosen
    return found[sentence][phrase].text if share >= model.short_threshold else None
