"""Answer assembly: sentence splitting, extractive cited answers, optional generated answers."""

from __future__ import annotations

from qa.answer.extractive import ScoredSentence, best_evidence, extractive_answer, score_sentences
from qa.answer.generative import ChatClient, generative_answer
from qa.answer.sentences import Sentence, split_sentences

__all__ = [
    "ChatClient",
    "ScoredSentence",
    "Sentence",
    "best_evidence",
    "extractive_answer",
    "generative_answer",
    "score_sentences",
    "split_sentences",
]
