from __future__ import annotations

from pathlib import Path

import pytest

from qa import Document, Engine
from qa.overview import fact_question, heading_topic, suggest
from qa.types import Answer, Chunk
from tests.fakes import FakeEncoder
from tests.qa.editions import NEW, OLD, OTHER, editions

__all__ = ["editions"]


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


def test_the_landing_overview_counts_the_collection_and_suggests_checked_questions(
    editions: Engine,
) -> None:
    overview = editions.overview()
    assert (overview.documents, overview.pages, overview.chunks) == (3, 10, 10)
    assert overview.updated_at is not None
    assert 4 <= len(overview.suggestions) <= 6
    # Made from different documents, each named in its question, each answered from it.
    assert {s.doc_id for s in overview.suggestions} == {OLD, NEW, OTHER}
    for suggestion in overview.suggestions:
        assert suggestion.question.startswith(f"According to the {suggestion.title}, ")
        answer = editions.ask(suggestion.question)
        assert answer.found
        assert suggestion.doc_id in {c.doc_id for c in answer.citations}


def test_suggestions_come_from_the_text_and_follow_it(tmp_path: Path) -> None:
    with Engine.open(tmp_path / "index", encoder=FakeEncoder()) as engine:
        engine.add(
            Document(
                id="lighthouses",
                title="Lighthouse Report",
                text="The keepers' association comprises 41 keepers on nine islands.\n\n"
                "The Gullwick light was established in 1871 on the northern cape.",
            )
        )
        first = {s.question for s in engine.overview().suggestions}
        assert first == {
            "How many keepers does the keepers' association comprise?",
            "When was the Gullwick light established?",
        }
        assert engine.overview() is engine.overview()  # made once per index generation
        engine.add(
            Document(
                id="lighthouses",
                title="Lighthouse Report",
                text="The Skerry light was established in 1902 on a reef.",
            )
        )
        assert {s.question for s in engine.overview().suggestions} == {
            "When was the Skerry light established?"
        }


def test_a_suggestion_whose_answer_comes_from_elsewhere_is_dropped() -> None:
    chunk = Chunk.make(
        doc_id="a",
        title="A",
        pages=(1,),
        section=None,
        text="The Navy operates four frigates.",
        source=None,
    )
    asked: list[str] = []

    def ask(question: str) -> Answer:
        asked.append(question)
        return Answer(question=question, text="Not here.", found=False)

    assert suggest([chunk], {"a": "A"}, ask) == ()
    assert asked == ["How many frigates does the Navy operate?"]
    with pytest.raises(ValueError, match="n must be from 1 to 6"):
        suggest([chunk], {"a": "A"}, ask, n=9)


def test_an_empty_index_has_no_suggestions(tmp_path: Path) -> None:
    with Engine.open(tmp_path / "index", encoder=FakeEncoder()) as engine:
        overview = engine.overview()
        assert (overview.documents, overview.chunks, overview.suggestions) == (0, 0, ())
        assert overview.updated_at is None
