"""Thumbs up and down in the chat, kept with the question, answer and citations."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import gradio as gr

from ui.render import Turn

if TYPE_CHECKING:
    from qa import Engine

logger = logging.getLogger(__name__)

THANKS = "Thank you: your verdict is saved with the question, the answer and its citations."
ANSWERS_ONLY = "Verdicts are kept for answers; search results have none."


def record_feedback(
    engine: Engine,
    turns: Sequence[Turn],
    message_turns: Mapping[int, int],
    data: gr.LikeData,
) -> None:
    """Store the reader's thumb on the answer of the chat message ``data.index``; the
    message's turn is looked up in ``message_turns`` (chat message index -> turn)."""
    index = data.index if isinstance(data.index, int) else data.index[0]
    turn_number = message_turns.get(index)
    turn = turns[turn_number] if turn_number is not None and turn_number < len(turns) else None
    if turn is None or turn.answer is None:
        gr.Info(ANSWERS_ONLY)
        return
    if not isinstance(data.liked, bool):
        return  # a thumb taken back: the earlier verdict stays on record
    engine.feedback.record(turn.answer, helpful=data.liked)
    gr.Info(THANKS)
