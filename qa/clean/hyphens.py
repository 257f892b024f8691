"""Rejoin words hyphenated at a line end: ``impor-`` + ``tant`` -> ``important``, while a
real compound such as ``non-`` + ``traditional`` keeps its hyphen."""

from __future__ import annotations

import re

from qa.clean.vocabulary import Vocabulary

_LINE_END = re.compile(r"\b(?P<left>[A-Za-z]+)-\n[ \t]*(?P<right>[a-z][A-Za-z]*)(?P<rest>[^\n]*)")


def join_hyphenated(left: str, right: str, vocabulary: Vocabulary) -> str:
    """The word written as ``left-`` at a line end and ``right`` on the next line."""
    compound = f"{left}-{right}"
    joined = left + right
    if compound.lower() in vocabulary.compounds:
        return compound
    if vocabulary.is_seen(joined):
        return joined
    both_words = vocabulary.is_word(left) and vocabulary.is_word(right)
    if vocabulary.known(joined) and not both_words:
        return joined
    return compound


def join_line_end_hyphens(text: str, vocabulary: Vocabulary) -> str:
    """Rejoin every line-end hyphenation in ``text``; the joined word ends the first line."""

    def fix(match: re.Match[str]) -> str:
        word = join_hyphenated(match["left"], match["right"], vocabulary)
        rest = match["rest"].strip()
        return f"{word}\n{rest}" if rest else word

    return _LINE_END.sub(fix, text)
