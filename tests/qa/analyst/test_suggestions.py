from __future__ import annotations

from pathlib import Path

import pytest

from qa.analyst.suggestions import TOPIC, candidates, fact_question, heading_topic
from qa.indexing.pipeline import chunk_paths
from qa.types import Chunk


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


def _chunks(doc_id: str, *texts: str, section: str | None = None) -> list[Chunk]:
    return [
        Chunk(id=f"{doc_id}-{i}", doc_id=doc_id, title="Harbour Review", pages=(i + 1,),
              section=section, text=text)
        for i, text in enumerate(texts)
    ]  # fmt: skip


def _topics(chunks: list[Chunk]) -> list[str]:
    return [s.source for s in candidates(chunks, "Harbour Review 2031") if s.kind == TOPIC]


def test_a_heading_broken_over_lines_is_no_topic_but_a_whole_one_is() -> None:
    body = "The harbour board met in spring and agreed on its priorities for the year ahead."
    chunks = _chunks(
        "harbour",
        # Cut at the line width: the next line carries the heading on.
        f"Expanding Pilot Exchanges and Cooperation with Key\npartners in each region\n{body}",
        f"Building Integrated\nHarbour Security together\n{body}",
        f"LEVERAGE PRIVATE CAPITAL AND EXPERTISE TO BUILD\nAND INNOVATE: {body}",
        f"RESOLVING DISPUTES REMAINS OUR TOP\nCONCERN AND A KEY TASK OF THE BOARD.\n{body}",
        # The tail of a heading: the line before runs on into it.
        f"Security Environment of\nNorthern Waters\n{body}",
        # A heading alone in its chunk, its run-in rest opening the next.
        "EXERCISE LEADERSHIP IN REGIONAL FISHERY",
        f"BODIES: {body}",
        # Whole headings, one with a heading of its own under it.
        f"Maritime Security\n{body}",
        f"Strategic Environment\nGlobal Shipping Trends\n{body}",
    )
    assert sorted(_topics(chunks)) == ["Maritime Security", "Strategic Environment"]


def test_the_second_line_of_a_heading_or_a_hyphen_broken_word_makes_no_topic() -> None:
    for broken in ("OF THE ARMED FORCES", "And Its Citizens", "The Strategic De- fence Trajectory"):
        assert heading_topic(broken) is None, broken


def test_a_question_keeps_the_subject_the_sentence_took_from_the_one_before() -> None:
    chunks = _chunks(
        "review",
        # Mid-paragraph, "The troop level" is the level of the units just named.
        "The northern rebels field light infantry brigades and sniper units along the coast. "
        "The troop level is estimated to be around 20,000.\n"
        "The pilot service was reorganised last year. The group comprised 40 pilots.",
        # Opening its paragraph, a plain subject is the paragraph's own.
        "The dredging budget is set at 14 million crowns for the coming year.",
        # A phrase the document keeps coming back to is its own, wherever it stands.
        "Eastport protects its fishing grounds. The coast guard operates nine cutters.",
        "The coast guard escorts tankers through the narrow channel.",
    )
    questions = {s.question for s in candidates(chunks, "Harbour Review 2031")}
    assert questions == {
        "What is the dredging budget?",
        "How many cutters does the coast guard operate?",
    }


def test_a_subject_run_into_a_modal_makes_no_question() -> None:
    assert fact_question("The public perception effort will have three secondary efforts.") is None


# Questions the 56 documents offered before headings had to be whole and questions their
# subject (the corpus's own text, not copied here beyond these few words).
BROKEN = (
    "what is the troop level?",
    "remains our top?",
    "expertise to build?",
    "say about building integrated?",
    "say about a secure and prosperous?",
)


@pytest.mark.shared
def test_the_white_papers_offer_no_cut_heading_and_no_question_without_its_subject(
    shared: Path,
) -> None:
    folder = shared / "corpus" / "defense-docs"
    names = (
        "southkorea_2020_DefenseWhitePaper",
        "us_2017_NationalSecurityStrategy",
        "philippines_2018_NationalSecurityStrategy",
        "germany_2023_NationalSecurityStrategy",
        "unitedkingdom_2015_NationalSecurityStrategy",
    )
    chunked = chunk_paths([folder / f"{name}.txt" for name in names])
    offered: dict[str, list[str]] = {name: [] for name in names}
    for doc in chunked.documents:
        chunks = [c for c in chunked.chunks if c.doc_id == doc.id]
        offered[doc.id] = [s.question.lower() for s in candidates(chunks, doc.title)]
    assert not [q for qs in offered.values() for q in qs if q.endswith(BROKEN)]
    # The rules leave each document questions to offer.
    assert all(len(questions) >= 2 for questions in offered.values()), offered
