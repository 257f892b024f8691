from __future__ import annotations

import pytest

from qa.answer.question import analyse
from qa.answer.shortanswer import short_answer


@pytest.mark.parametrize(
    ("question", "sentences", "short"),
    [
        (
            "How many patrol boats does the Northland coast guard operate?",
            ["Founded in 1950, the Northland coast guard operates 14 patrol boats."],
            "14 patrol boats",
        ),
        (
            "What nickname do the Northland mountain commando units go by?",
            [
                "Mountain commando units of the Northland Army, also known as Granite Wolves, "
                "train with the Border Police."
            ],
            "Granite Wolves",
        ),
        (
            # The whole count, named before the figure, not a part of it named after one.
            "How many reservists does Northland have?",
            [
                "The number of reservists stood at around 1.2 million, and there are about "
                "3,000 volunteer reservists in the islands."
            ],
            "around 1.2 million",
        ),
        (
            "How many reservists does Northland have?",
            ["The number of reservists in 2031 stood at 1,200,000, with 3,000 female reservists."],
            "1,200,000",
        ),
        (
            "How many volunteer reservists are there?",
            [
                "The number of reservists stood at around 1.2 million, and there are about "
                "3,000 volunteer reservists in the islands."
            ],
            "about 3,000 volunteer reservists",
        ),
        (
            "What is the goal for how quickly casualties reach the capital hospital?",
            ["Casualties are to reach the capital hospital within two hours of the call."],
            "within two hours",
        ),
    ],
)
def test_the_short_answer_is_the_asked_for_phrase(
    question: str, sentences: list[str], short: str
) -> None:
    assert short_answer(analyse(question), question, sentences) == short


def test_a_short_answer_is_always_a_span_of_a_quoted_sentence() -> None:
    question = "When did the Northland navy commission its first submarine?"
    sentences = ["The Northland navy commissioned its first submarine on 3 May 1961."]
    found = short_answer(analyse(question), question, sentences)
    assert found is not None and found in sentences[0]


def test_no_figure_in_the_quote_means_no_short_answer_to_how_many() -> None:
    question = "How many patrol boats does the Northland coast guard operate?"
    sentences = ["The Northland coast guard patrols the fjords in all seasons."]
    assert short_answer(analyse(question), question, sentences) is None
