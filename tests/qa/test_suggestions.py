from __future__ import annotations

import pytest

from qa.suggestions import fact_question, heading_topic


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        (
            "The defence budget for 2024 is set at 14.2 billion crowns, equal to 2.1 percent.",
            "What is the defence budget for 2024?",
        ),
        (
            "The number of reservists stood at around 2.75 million as of December 2018.",
            "What was the number of reservists?",
        ),
        (
            "The Navy operates four Heron-class frigates and six patrol vessels.",
            "How many Heron-class frigates does the Navy operate?",
        ),
        (
            "The armed forces employed 52,000 people at the end of 2023.",
            "How many people did the armed forces employ?",
        ),
        (
            "The Valdorian Land Forces comprise 38,000 active personnel in three brigades.",
            "How many active personnel do the Valdorian Land Forces comprise?",
        ),
        (
            "The Defence Cyber Command was established in March 2022 and employs 900 people.",
            "When was the Defence Cyber Command established?",
        ),
    ],
)
def test_a_sentence_stating_a_fact_becomes_the_question_it_answers(
    sentence: str, question: str
) -> None:
    made = fact_question(sentence)
    assert made is not None and made[0] == question


@pytest.mark.parametrize(
    "sentence",
    [
        "The first of three new frigates is due in 2027.",  # points elsewhere
        "The budget is large.",  # no figure
        "The Navy is being re-equipped with 120 vehicles delivered between 2024 and 2027.",
        "Valdoria operates four frigates.",  # no "The" subject to ask about
        "The report was established by committee.",  # no date
    ],
)
def test_sentences_without_a_clear_fact_make_no_question(sentence: str) -> None:
    assert fact_question(sentence) is None


def test_headings_become_topics_and_furniture_does_not() -> None:
    assert heading_topic("4.4. Military defence") == "military defence"
    assert heading_topic("PUBLIC INVOLVEMENT") == "public involvement"
    assert heading_topic("Complementary and Robust ROK-US Alliance") == (
        "complementary and robust ROK-US alliance"
    )
    for furniture in (
        "Chapter 3",
        "Table of contents",
        "Mid-Term Budget (Unit: KRW trillion)",
        "Modification of Laws and Regulations Under the",
        "and Expansion of Defense Exchanges",
        "Alengers of the Revisionist Powers",
        "A sentence that goes on and ends like one.",
    ):
        assert heading_topic(furniture) is None, furniture
