from __future__ import annotations

import pytest

from qa.answer.question import analyse
from qa.answer.scoring import counts_asked

QUESTION = analyse("How many standing troops did the army have in 2031?")


@pytest.mark.parametrize(
    ("sentence", "counts"),
    [
        ("The army kept some 4,000 standing troops on the border.", True),
        # The thing counted named earlier in the figure's clause.
        ("The number of standing troops was 518,000 at the end of 2031.", True),
        ("Standing troops trained hard, and the budget was 618,000 euros.", False),
        ("The navy had 12 frigates and 40 patrol boats.", False),
    ],
)
def test_a_figure_counts_what_its_clause_names(sentence: str, counts: bool) -> None:
    assert counts_asked(sentence, QUESTION) is counts
