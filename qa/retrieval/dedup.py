"""Drop retrieved texts that mostly repeat a better-ranked one (repeated boilerplate, reprints)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

_WORD = re.compile(r"\w+")
SHINGLE = 3


# Every question compares its candidate passages pairwise, and popular passages come back.
@functools.lru_cache(maxsize=4096)
def shingles(text: str, size: int = SHINGLE) -> frozenset[tuple[str, ...]]:
    """Lower-cased word ``size``-grams; a text shorter than ``size`` words is one shingle."""
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return frozenset({tuple(words)}) if words else frozenset()
    return frozenset(tuple(words[i : i + size]) for i in range(len(words) - size + 1))


def containment(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    """Share of the smaller shingle set found in the other; 1.0 when one text holds the other."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def collapse_near_duplicates(
    texts: Sequence[str], threshold: float, limit: int | None = None
) -> list[int]:
    """Indices of ``texts`` (rank order) to keep, in order; at most ``limit`` of them.

    A text is dropped when its word-3-gram containment with an already kept text is at least
    ``threshold``; containment rather than Jaccard so a short chunk repeated inside a longer one
    also counts. Empty texts are always kept (they overlap nothing). Texts after the
    ``limit``-th kept one are not compared at all: the comparisons cost quadratic time.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    kept: list[int] = []
    kept_sets: list[frozenset[tuple[str, ...]]] = []
    for i, text in enumerate(texts):
        if limit is not None and len(kept) >= limit:
            break
        current = shingles(text)
        if any(containment(current, other) >= threshold for other in kept_sets):
            continue
        kept.append(i)
        kept_sets.append(current)
    return kept
