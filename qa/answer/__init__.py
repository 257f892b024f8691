"""Answer assembly: sentence splitting, extractive cited answers, optional generated answers."""

from __future__ import annotations

from qa.answer.extractive import extractive_answer
from qa.answer.generative import ChatClient, generative_answer
from qa.answer.model import AnswerModel, load_model
from qa.answer.question import Expect, QuestionAnalysis, analyse
from qa.answer.ranking import Ranking, ScoredSentence, score_sentences
from qa.text.sentences import Sentence, split_sentences

__all__ = [
    "AnswerModel",
    "ChatClient",
    "Expect",
    "QuestionAnalysis",
    "Ranking",
    "ScoredSentence",
    "Sentence",
    "analyse",
    "extractive_answer",
    "generative_answer",
    "load_model",
    "score_sentences",
    "split_sentences",
]
