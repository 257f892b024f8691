from __future__ import annotations

import pytest

from qa.retrieval.fusion import Fused, reciprocal_rank_fusion


def test_scores_match_hand_computed_rrf() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]], weights=[1.0, 1.0], k=60)
    by_id = {f.id: f for f in fused}
    assert by_id["a"].score == pytest.approx(1 / 61 + 1 / 62)
    assert by_id["b"].score == pytest.approx(1 / 62)
    assert by_id["c"].score == pytest.approx(1 / 63 + 1 / 61)
    assert [f.id for f in fused] == ["a", "c", "b"]
    assert by_id["b"].ranks == (2, None)
    assert by_id["c"].ranks == (3, 1)


def test_weights_change_the_winner() -> None:
    rankings = [["dense-top", "shared"], ["lexical-top", "shared"]]
    fused = reciprocal_rank_fusion(rankings, weights=[1.0, 3.0], k=1)
    assert fused[0] == Fused("lexical-top", 3 / 2, (None, 1))
    assert fused[1].id == "shared"
    assert fused[1].score == pytest.approx(1 / 3 + 3 / 3)
    assert fused[2] == Fused("dense-top", 1 / 2, (1, None))
    equal = reciprocal_rank_fusion(rankings, weights=[1.0, 1.0], k=1)
    assert [f.id for f in equal] == ["shared", "dense-top", "lexical-top"]


def test_missing_and_empty_lists() -> None:
    fused = reciprocal_rank_fusion([[], ["x", "y"]], weights=[1.0, 1.0], k=0)
    assert [(f.id, f.score, f.ranks) for f in fused] == [
        ("x", 1.0, (None, 1)),
        ("y", 0.5, (None, 2)),
    ]
    assert reciprocal_rank_fusion([[], []], weights=[1.0, 1.0]) == []


def test_zero_weight_list_adds_no_ids_but_reports_ranks() -> None:
    fused = reciprocal_rank_fusion([["a"], ["b", "a"]], weights=[1.0, 0.0], k=60)
    assert fused == [Fused("a", 1 / 61, (1, 2))]


def test_ties_are_deterministic_and_prefer_the_first_list() -> None:
    fused = reciprocal_rank_fusion([["p", "q"], ["q", "p"]], weights=[1.0, 1.0])
    assert fused[0].score == fused[1].score
    assert [f.id for f in fused] == ["p", "q"]
    again = reciprocal_rank_fusion([["z"], ["m"]], weights=[1.0, 1.0])
    assert [f.id for f in again] == ["z", "m"]


def test_repeated_id_counts_once_at_its_best_rank() -> None:
    fused = reciprocal_rank_fusion([["a", "a", "b"]], weights=[1.0], k=0)
    assert [(f.id, f.score) for f in fused] == [("a", 1.0), ("b", 1 / 3)]


def test_mismatched_weights_are_rejected() -> None:
    with pytest.raises(ValueError, match="weights"):
        reciprocal_rank_fusion([["a"]], weights=[1.0, 1.0])
    with pytest.raises(ValueError, match="non-negative"):
        reciprocal_rank_fusion([["a"]], weights=[-1.0])
