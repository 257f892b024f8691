"""Reciprocal rank fusion of several best-first rankings (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Fused:
    """A fused result: ``ranks[i]`` is its 1-based rank in input list ``i``, ``None`` if absent."""

    id: str
    score: float
    ranks: tuple[int | None, ...]


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], weights: Sequence[float], k: int = 60
) -> list[Fused]:
    """Fuse rankings with score ``sum_i w_i / (k + rank_i)`` over the lists that hold the id.

    Best first. A list with weight 0 brings no ids of its own but its ranks are still reported
    for ids that other lists bring. A repeated id within one list counts at its first rank. Equal
    scores are ordered by the ranks tuple (earlier lists first; absent counts as worst), then id.
    """
    if len(rankings) != len(weights):
        raise ValueError(f"{len(rankings)} rankings but {len(weights)} weights")
    if any(w < 0 or not math.isfinite(w) for w in weights):
        raise ValueError(f"weights must be finite and non-negative, got {list(weights)!r}")
    if k < 0:
        raise ValueError(f"k must be non-negative, got {k}")

    positions: list[dict[str, int]] = []
    for ranking in rankings:
        first: dict[str, int] = {}
        for rank, item in enumerate(ranking, start=1):
            first.setdefault(item, rank)
        positions.append(first)

    candidates: dict[str, None] = {}
    for ranks_of, weight in zip(positions, weights, strict=True):
        if weight > 0:
            candidates.update(dict.fromkeys(ranks_of))

    fused = []
    for item in candidates:
        ranks = tuple(ranks_of.get(item) for ranks_of in positions)
        score = sum(
            w / (k + r) for w, r in zip(weights, ranks, strict=True) if r is not None and w > 0
        )
        fused.append(Fused(item, score, ranks))
    fused.sort(key=lambda f: (-f.score, tuple(math.inf if r is None else r for r in f.ranks), f.id))
    return fused
