from __future__ import annotations

import pytest

from qa.answer.units import is_sentence


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


def test_a_sentence_with_a_few_figures_is_one() -> None:
    assert is_sentence("In 2029, 2030 and 2031 the budget rose by 3.1, 2.5 and 4 percent.")
