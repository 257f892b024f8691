from __future__ import annotations

import pytest

from qa.answer.question import Expect
from qa.answer.spans import spans_of, typed_spans


@pytest.mark.parametrize(
    ("sentence", "kind", "expected"),
    [
        ("The army shed 120,000 personnel in the reform.", Expect.NUMBER, ["120,000 personnel"]),
        (
            "The budget is EUR 3.2 billion, up 4.5% on last year.",
            Expect.NUMBER,
            ["EUR 3.2 billion", "4.5%"],
        ),
        (
            "It keeps some 2,500 troops, six ships and nine aircraft.",
            Expect.NUMBER,
            ["some 2,500 troops", "six ships", "nine aircraft"],
        ),
        (
            "The base opened on May 3, 2021 after work began in March 2019.",
            Expect.DATE,
            ["May 3, 2021", "March 2019"],
        ),
        ("Data run until 14 January 2024.", Expect.DATE, ["14 January 2024"]),
        ("The pilot lasted 18 months.", Expect.DURATION, ["18 months"]),
        (
            "Casualties reach hospital within an hour and a half.",
            Expect.DURATION,
            ["within an hour and a half"],
        ),
        ("General Tomas Brandt commands the fleet.", Expect.PERSON, ["Tomas Brandt"]),
        ("The units merged to cut overhead costs.", Expect.REASON, ["to cut overhead costs"]),
    ],
)
def test_typed_phrases_are_exact_slices(sentence: str, kind: Expect, expected: list[str]) -> None:
    found = spans_of(sentence, kind)
    assert [s.text for s in found] == expected
    for span in found:
        assert sentence[span.start : span.end] == span.text


def test_a_year_alone_is_a_date_not_a_figure() -> None:
    spans = typed_spans("Spending rose in 2022, more than in 2021.")
    assert {s.text for s in spans if s.kind is Expect.DATE} == {"2022", "2021"}
    assert not [s for s in spans if s.kind is Expect.NUMBER]


def test_an_enumeration_is_one_list_starting_after_its_lead_word() -> None:
    (found,) = spans_of("Aid consists of food, fuel, and medical supplies.", Expect.LIST)
    assert found.text == "food, fuel, and medical supplies"


@pytest.mark.parametrize(
    "sentence",
    [
        "The navy will commission Mark 4 cutters and Block III drones.",
        "The force exists under the Coastal Guard Act (No 17 of 2019) Sec 5 (2).",
        "Article 112 of the charter sets the duties of the reserve.",
    ],
)
def test_a_number_that_names_a_thing_is_not_a_figure(sentence: str) -> None:
    assert not spans_of(sentence, Expect.NUMBER)


def test_a_figure_before_a_designation_still_counts() -> None:
    (found,) = spans_of("The yard delivered 6 Mark 4 cutters in the spring.", Expect.NUMBER)
    assert found.text == "6"


def test_the_parts_of_a_label_are_not_figures() -> None:
    assert not spans_of("An overview is shown in [Chart 6-7] and Fig. I-2-4.", Expect.NUMBER)


def test_an_ordinal_is_not_a_figure() -> None:
    assert not spans_of("It was agreed at the 3rd conference and the 52nd meeting.", Expect.NUMBER)
