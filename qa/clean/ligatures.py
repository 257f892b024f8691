"""Repair words split where a PDF dropped an fi/fl/ff/ffi/ffl ligature.

Observed damage: the ``i`` of ``fi`` turns into a space (``f rst`` = first, ``benef ts``) and
``fl``/``ffi`` gain a space after the f (``inf luence``, ``off icers``). So for every word
ending in ``f`` followed by a lower-case word, the candidates are the two pieces joined with
nothing, ``i`` or ``l`` between them; the vocabulary decides whether one of them is meant.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from qa.clean.vocabulary import Vocabulary

logger = logging.getLogger(__name__)

_DROPPED = ("", "i", "l")
# Zipf points (a factor of ten) by which a joined word must beat two real words.
_JOIN_MARGIN = 1.0
_TOKENS = re.compile(r"([ \n])")
_LEFT = re.compile(r"^(?P<pre>.*?)(?P<core>[A-Za-z]*f)$", re.DOTALL)
_MIDDLE = re.compile(r"^[a-z][A-Za-z]*f$")
_RIGHT = re.compile(r"^(?P<core>[a-z][A-Za-z]*)(?P<post>.*)$", re.DOTALL)


def best_join(pieces: Sequence[str], vocabulary: Vocabulary) -> str | None:
    """The word ``pieces`` stand for, or ``None`` when they are separate words.

    Every piece but the last ends in ``f``; every piece but the first starts lower case.
    """
    candidates = [""]
    for piece in pieces[:-1]:
        candidates = [c + piece + dropped for c in candidates for dropped in _DROPPED]
    known = [c + pieces[-1] for c in candidates if vocabulary.known(c + pieces[-1])]
    if not known:
        return None
    joined = max(known, key=vocabulary.score)
    if not all(vocabulary.is_word(piece) for piece in pieces):
        return joined
    # Real words ("of the", "of ten") stay apart unless the joined word is far more
    # likely than the rarer piece ("Off ice" in a text that says "office" elsewhere).
    weakest = min(vocabulary.score(piece) for piece in pieces)
    return joined if vocabulary.score(joined) >= weakest + _JOIN_MARGIN else None


def repair_ligatures(text: str, vocabulary: Vocabulary) -> str:
    """Rejoin ligature-split words in ``text``; lines stay lines.

    A split across a line end is joined onto the first line. Pairs are resolved right to
    left so ``of f rearms`` becomes ``of firearms``, not ``off rearms``.
    """
    parts = _TOKENS.split(text)
    repaired = 0
    for i in range(len(parts) - 3, -1, -2):
        left = _LEFT.match(parts[i])
        if left is None:
            continue
        right = _RIGHT.match(parts[i + 2])
        joined = None if right is None else best_join([left["core"], right["core"]], vocabulary)
        end = i + 2
        if joined is None and i + 4 < len(parts):
            # Two ligatures in one word: "f ref ghting" is "firefighting".
            middle = _MIDDLE.match(parts[i + 2])
            right = _RIGHT.match(parts[i + 4])
            if middle is not None and right is not None:
                joined = best_join([left["core"], parts[i + 2], right["core"]], vocabulary)
                end = i + 4
        if joined is None or right is None:
            continue
        parts[i] = left["pre"] + joined + right["post"]
        if "\n" in parts[i + 1 : end : 2] and end + 1 < len(parts):
            parts[end + 1] = "\n"
        parts[i + 1 : end + 1] = [""] * (end - i)
        repaired += 1
    if repaired:
        logger.debug("repaired %d ligature splits", repaired)
    return "".join(parts)
