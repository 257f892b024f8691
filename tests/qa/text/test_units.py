from __future__ import annotations

import pytest

from qa.text.units import is_quotable, is_sentence, passage_units
from qa.types import Chunk


@pytest.mark.parametrize(
    "text",
    [
        "Harbour spending 5 National Defence 4 budget 3 (billion) 2 1 0 2029 2030 2031",
        "Description of project requirements - 2029 2030 2031 2032 2033 2034",
        "Chapter 4 Maritime Forces .......... 85",
        "Contact the press office at +82-2-748-1111 for details.",
    ],
)
def test_chart_axes_contents_and_contact_lines_are_not_sentences(text: str) -> None:
    assert not is_sentence(text)


def test_a_heading_with_the_next_item_number_run_in_is_not_quoted() -> None:
    chunk = Chunk.make(
        doc_id="d",
        title="Review",
        pages=(3,),
        section=None,
        text="Withdrawal of Harbour Watch Posts within the Sound 1. The posts were closed in May.",
        source=None,
    )
    quotable = [u.sentence.text for u in passage_units(chunk) if is_quotable(chunk, u)]
    assert quotable == ["The posts were closed in May."]


def test_a_sentence_with_a_few_figures_is_one() -> None:
    assert is_sentence("In 2029, 2030 and 2031 the budget rose by 3.1, 2.5 and 4 percent.")
