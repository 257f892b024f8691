from __future__ import annotations

import pytest

from qa.answer.question import Expect, analyse, expected_answer


@pytest.mark.parametrize(
    ("question", "expect"),
    [
        ("How many frigates does the Navy operate?", Expect.NUMBER),
        ("What share of the budget goes to research?", Expect.NUMBER),
        ("What was the army's total wartime strength in 2030?", Expect.NUMBER),
        ("When did the coastal radar network enter service?", Expect.DATE),
        ("Since what date must officers declare their assets?", Expect.DATE),
        ("In which year was the academy founded?", Expect.DATE),
        ("How long does basic training last?", Expect.DURATION),
        ("How many months did the trial run?", Expect.DURATION),
        ("Who commands the northern fleet?", Expect.PERSON),
        ("Which defence minister opened the new base?", Expect.PERSON),
        ("Which country hosts the joint exercise?", Expect.NAME),
        ("What is the name of the new patrol vessel class?", Expect.NAME),
        ("Where is the drone squadron based?", Expect.NAME),
        ("Why did the ministry merge the two commands?", Expect.REASON),
        ("What was the purpose of the new pension plan?", Expect.REASON),
        ("What categories does the equipment budget fall into?", Expect.LIST),
        ("What does the paper say about cyber security?", Expect.DESCRIPTION),
        # A vague "what" asks what its "how" clause asks.
        ("What is the goal for how quickly casualties reach a hospital?", Expect.DURATION),
        # The first interrogative decides, not a later "how long".
        ("What payout rate applies to troops however long they served?", Expect.NUMBER),
    ],
)
def test_the_wording_says_what_kind_of_answer_is_wanted(question: str, expect: Expect) -> None:
    assert expected_answer(question) is expect


def test_the_number_of_things_is_counted_like_how_many() -> None:
    analysis = analyse("What was the total number of patrol boats in 2031?")
    assert analysis.counted == "patrol boats"
    assert analysis.countable


def test_constraints_are_the_years_units_counted_noun_and_names() -> None:
    analysis = analyse("How many active troops did Northland's army have in 2031, in percent?")
    assert analysis.expect is Expect.NUMBER
    assert analysis.years == ("2031",)
    assert analysis.units == ("troops", "percent")
    assert analysis.counted == "active troops"
    assert analysis.names == ("Northland’s",) or analysis.names == ("Northland's",)
