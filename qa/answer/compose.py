"""The answer an ask gets: which mode (extractive quotes, or a language model's reply checked
against its passages) and the answer composed in it from the retrieved passages."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from qa.answer.citations import PageSource, quote_pages
from qa.answer.extractive import extractive_answer
from qa.answer.generative import ChatClient, generative_answer, rewrite_followup
from qa.encoder import Encoder
from qa.errors import InvalidQuestion, LanguageModelError
from qa.settings import Settings
from qa.types import Answer, Hit

logger = logging.getLogger(__name__)

ANSWER_MODES = ("extractive", "generative")


def answer_mode(
    mode: str | None, settings: Settings, passages: int | None = None
) -> tuple[str, Settings]:
    """The answer mode (by default generative when a language model is configured) and the
    settings the answer reads with: an extractive answer reads ``passages`` hits instead of
    ``settings.answer_passages``. ``InvalidQuestion`` for an unknown mode, or a generative
    one without a model."""
    chosen = mode or ("generative" if settings.llm_base_url else "extractive")
    if chosen not in ANSWER_MODES:
        raise InvalidQuestion(f"mode must be one of {ANSWER_MODES}, got {chosen!r}")
    if chosen == "generative" and not (settings.llm_base_url and settings.llm_model):
        raise InvalidQuestion(
            "generative mode needs llm_base_url and llm_model "
            "(settings or CITEQA_LLM_BASE_URL / CITEQA_LLM_MODEL)"
        )
    if passages is not None and chosen == "extractive":
        settings = replace(settings, answer_passages=passages)
    return chosen, settings


def chat_client(settings: Settings) -> ChatClient:
    assert settings.llm_base_url and settings.llm_model
    return ChatClient(
        settings.llm_base_url,
        settings.llm_model,
        api_key=settings.llm_api_key,
        timeout=settings.llm_timeout,
    )


def rewritten(question: str, earlier: Sequence[str], settings: Settings) -> str | None:
    """The language model's self-contained version of the follow-up ``question`` after the
    ``earlier`` questions; None without a configured model, or when the model fails (the
    offline reading stands)."""
    if not (settings.llm_base_url and settings.llm_model):
        return None
    try:
        return rewrite_followup(question, earlier, chat_client(settings))
    except LanguageModelError as error:
        logger.warning("language model could not rewrite the question: %s", error)
        return None


def compose(
    question: str,
    hits: Sequence[Hit],
    query_vector: np.ndarray,
    *,
    mode: str,
    settings: Settings,
    encoder: Encoder,
    pages: PageSource,
    own_words: Sequence[str] | None = None,
) -> Answer:
    """The answer to ``question`` in ``mode`` (see ``answer_mode``) from ``hits``; each
    citation narrowed to the page of ``pages`` its quote sits on."""

    def locate(doc_id: str, numbers: tuple[int, ...], quote: str) -> tuple[int, ...]:
        return quote_pages(pages, doc_id, numbers, quote)

    if mode == "generative":
        return generative_answer(question, hits, chat_client(settings), settings, locate=locate)
    return extractive_answer(
        question,
        hits,
        encoder,
        settings,
        query_vector=query_vector,
        locate=locate,
        own_words=own_words,
    )
