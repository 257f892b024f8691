"""Answer assembly: sentence splitting, extractive cited answers, optional generated answers."""

from __future__ import annotations

from qa.answer.extractive import best_evidence, extractive_answer
from qa.answer.generative import ChatClient, generative_answer
from qa.answer.question import Expect, QuestionAnalysis, analyse
from qa.answer.scoring import ScoredSentence, score_sentences
from qa.text.sentences import Sentence, split_sentences

__all__ = [
    "ChatClient",
    "Expect",
    "QuestionAnalysis",
    "ScoredSentence",
    "Sentence",
    "analyse",
    "best_evidence",
    "extractive_answer",
    "generative_answer",
    "score_sentences",
    "split_sentences",
]
