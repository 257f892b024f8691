from __future__ import annotations

import itertools

import pytest

from qa.evaluate import COVERAGES, recall_and_mrr, risk_coverage


def test_risk_coverage_matches_answering_the_most_confident_share_by_hand() -> None:
    confidence = [0.9, 0.2, 0.8, 0.5, 0.7, 0.1, 0.6, 0.3, 0.4, 0.95]
    correct = [True, False, True, False, True, False, False, True, False, True]
    table, area = risk_coverage(confidence, correct)
    ranked = [c for _, c in sorted(zip(confidence, correct, strict=True), reverse=True)]
    precision = [sum(ranked[:k]) / k for k in range(1, len(ranked) + 1)]
    assert set(table) == set(COVERAGES)
    assert table[0.5] == precision[4] == 0.8  # four of the five most confident hold the fact
    assert table[1.0] == precision[-1] == 0.5
    assert area == pytest.approx(sum(precision) / len(precision))


def test_a_perfectly_ordered_confidence_has_the_largest_area() -> None:
    correct = [True, True, False, True, False]
    best = max(risk_coverage(list(order), correct)[1] for order in itertools.permutations(range(5)))
    ordered = risk_coverage([5, 4, 1, 3, 2], correct)[1]
    assert ordered == pytest.approx(best)
    assert risk_coverage([], []) == ({}, 0.0)


def test_recall_and_mrr_count_ranks_up_to_their_cutoffs() -> None:
    recall, mrr = recall_and_mrr([1, 3, None, 7])
    assert recall == {1: 0.25, 5: 0.5, 10: 0.75}
    assert mrr == pytest.approx((1 + 1 / 3 + 1 / 7) / 4)
