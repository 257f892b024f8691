"""The answer stage: from the retrieved passages to a cited answer.

Owns question analysis (``question``, ``spans``), the candidate sentences and rows and their
features (``units``, ``scoring``, ``features``), the answer model and its ranking (``model``,
``ranking``), the checks behind a "not found" (``signals``), the short answer (``phrases``,
``rule_choice``, ``phrase_features``, ``shortanswer``), the answer assembled with its
citations (``extractive``, ``citations``), the optional language model (``generative``), and
refitting the model (``fit``, from ``training_data`` and ``training``).

Imports the ground floor and ``qa.retrieval``'s word functions and dedup; only the refit
command (``fit``, ``training_data``) drives ``qa.engine`` and ``qa.evaluate``, as a tool on top
of the library.
"""

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
