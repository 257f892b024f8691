from __future__ import annotations

import pytest

from qa.retrieval.dedup import collapse_near_duplicates

BASE = (
    "The coastal brigade rotated its radar crews every six weeks to keep the northern "
    "approaches under constant watch during the long winter exercise season."
)


def test_keeps_first_of_near_duplicates_in_rank_order() -> None:
    reprint = BASE.replace("six weeks", "six  weeks").upper()
    other = "Cadets at the mountain academy study logistics, field medicine and signals."
    assert collapse_near_duplicates([BASE, other, reprint], threshold=0.8) == [0, 1]


def test_text_contained_in_a_longer_kept_text_is_dropped() -> None:
    longer = BASE + " Afterwards the crews returned to the southern garrison for leave."
    assert collapse_near_duplicates([longer, BASE], threshold=0.8) == [0]


def test_threshold_decides_partial_overlap() -> None:
    half = " ".join(BASE.split()[:12]) + " and then the fleet sailed east to meet allied frigates."
    assert collapse_near_duplicates([BASE, half], threshold=0.9) == [0, 1]
    assert collapse_near_duplicates([BASE, half], threshold=0.3) == [0]


def test_distinct_and_empty_texts_are_all_kept() -> None:
    texts = ["Budget rose.", "", "Troops fell.", ""]
    assert collapse_near_duplicates(texts, threshold=0.5) == [0, 1, 2, 3]


def test_bad_threshold_is_rejected() -> None:
    with pytest.raises(ValueError):
        collapse_near_duplicates(["a"], threshold=0.0)


def test_a_limit_keeps_the_same_first_texts_and_stops_there() -> None:
    texts = [BASE, BASE, "Quite another text about the harbour.", "A third one on ranges."]
    assert collapse_near_duplicates(texts, threshold=0.8) == [0, 2, 3]
    assert collapse_near_duplicates(texts, threshold=0.8, limit=2) == [0, 2]
