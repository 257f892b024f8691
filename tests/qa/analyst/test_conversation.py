"""Follow-up detection and resolution, on questions about invented documents."""

from __future__ import annotations

import pytest

from qa.analyst.conversation import is_followup, resolve
from qa.types import Answer, Citation

FIRST = "How many active personnel do the Land Forces of Valdoria have?"


@pytest.mark.parametrize(
    "question",
    [
        "What about the Navy?",
        "And the Air Force?",
        "And in 2021?",
        "How about its budget?",
        "When did that start?",
        "What are they equipped with?",
        "How does that compare with the year before?",
        "Why?",
    ],
)
def test_questions_that_lean_on_the_last_turn_are_follow_ups(question: str) -> None:
    assert is_followup(question, FIRST)


@pytest.mark.parametrize(
    "question",
    [
        "How many frigates does the Valdorian Navy operate in the northern fleet?",
        "What logistics support model does the army use for repairs beyond its own capacity?",
        "Which ministry signed the memorandum with Northland on submarine training in 2023?",
        "Under the new pension law, what rate applies to troops who lost their lives serving?",
        "What proportion of the imported fuel passes through the Strait of Brae?",
    ],
)
def test_self_contained_questions_are_left_alone(question: str) -> None:
    assert not is_followup(question, FIRST)
    resolution = resolve(question, [FIRST])
    assert resolution.query == question
    assert not resolution.followup


def test_without_history_nothing_is_resolved() -> None:
    assert resolve("And the Navy?").query == "And the Navy?"


@pytest.mark.parametrize(
    ("first", "followup", "resolved"),
    [
        (FIRST, "What about the Navy?", "How many active personnel do the Navy of Valdoria have?"),
        (
            "How large was the coastal patrol budget in 2019?",
            "And in 2020?",
            "How large was the coastal patrol budget in 2020?",
        ),
        (
            "What was the yield of the second rocket test in March 2016?",
            "And the fifth one?",
            "What was the yield of the fifth rocket test in March 2016?",
        ),
        (
            "What did the ministry send to Northland after the 2019 flood?",
            "And to Southmark after the earthquake?",
            "What did the ministry send to Southmark after the earthquake?",
        ),
    ],
)
def test_an_ellipsis_swaps_its_phrase_into_the_last_question(
    first: str, followup: str, resolved: str
) -> None:
    resolution = resolve(followup, [first])
    assert resolution.followup
    assert resolution.query == resolved


def test_a_demonstrative_naming_the_last_questions_subject_is_replaced_by_its_name() -> None:
    first = "In what year did Valdoria join the Coastal Suppliers Group?"
    resolution = resolve("How many members does that group have?", [first])
    assert resolution.query == "How many members does the Coastal Suppliers Group have?"


def test_a_pronoun_keeps_the_follow_up_words_first_and_borrows_the_last_question() -> None:
    first = "How many dedicated teams did the Rapid Support Command set up in 2020?"
    resolution = resolve("What were they responsible for?", [first])
    assert resolution.query == f"What were they responsible for? ({first})"
    assert resolution.own_words == ("responsible",)


def _answer(question: str, doc: str, pages: tuple[int, ...]) -> Answer:
    citation = Citation(1, doc, "White Paper", pages, "A quote.", "c1")
    return Answer(question, "A quote. [1]", (citation,), True)


def test_a_follow_up_about_the_same_thing_prefers_the_last_answers_pages() -> None:
    first = "How many dedicated teams did the Rapid Support Command set up in 2020?"
    resolution = resolve("What were they responsible for?", [(first, _answer(first, "wp", (7,)))])
    assert resolution.prefer == {"wp": (7,)}


def test_a_follow_up_naming_something_new_prefers_nothing() -> None:
    resolution = resolve("What about Northland?", [(FIRST, _answer(FIRST, "wp", (7,)))])
    assert resolution.query == "How many active personnel do the Northland of Valdoria have?"
    assert resolution.prefer == {}


def test_a_chain_of_follow_ups_builds_on_the_last_resolved_question() -> None:
    first = "How large was the coastal patrol budget in 2019?"
    second = resolve("And in 2020?", [first])
    earlier = Answer("And in 2020?", "", resolved_question=second.query)
    third = resolve("And in 2021?", [first, earlier])
    assert third.query == "How large was the coastal patrol budget in 2021?"
