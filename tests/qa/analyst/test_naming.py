"""A question naming one document by year and kind is searched in that document alone."""

from __future__ import annotations

from qa import Engine
from qa.analyst.naming import named_scope, searched_in, without_scope
from tests.qa.editions import NEW, OLD, OTHER, TITLES, editions

__all__ = ["editions"]


def test_one_document_named_by_year_and_kind_is_found() -> None:
    assert named_scope("How many soldiers, according to the 2019 white paper?", TITLES) == (OLD,)
    assert named_scope("What does the 2021 Maritime Strategy say about ports?", TITLES) == (OTHER,)
    assert named_scope("How big is the army in South Korea's 2018 white paper?", TITLES) == (
        "southkorea_2018_DefenseWhitePaper",
    )


def test_documents_of_the_year_that_fit_equally_well_are_all_searched() -> None:
    # Nothing in the question tells the two white papers of 2018 apart: both, and no other.
    assert set(named_scope("What does the 2018 white paper say about reserves?", TITLES)) == {
        "southkorea_2018_DefenseWhitePaper",
        "netherlands_2018_DefenceWhitePaper",
    }
    assert searched_in("Q?", ["A", "B", "C"]) == "Q? (searched in A, B and C only)"


def test_no_scope_when_the_question_names_no_document_or_several() -> None:
    assert named_scope("What was the 2019 defence budget?", TITLES) == ()
    assert named_scope("Compare the 2019 and 2021 white papers on the budget", TITLES) == ()
    # The only document of 2021 is a strategy: "annual report" fits nothing in its title.
    assert named_scope("What does the 2021 annual report say?", {OTHER: TITLES[OTHER]}) == ()


def test_ask_searches_the_edition_the_question_names_and_says_so(editions: Engine) -> None:
    question = "How many corvettes does the Navy operate according to the 2019 white paper?"

    answer = editions.ask(question)

    assert answer.found and "three corvettes" in answer.text
    assert {c.doc_id for c in answer.citations} == {OLD}
    assert {h.chunk.doc_id for h in answer.hits} == {OLD}
    assert answer.question == question
    assert answer.resolved_question == (
        f"{question} (searched in Northmark Defence White Paper 2019 only)"
    )
    assert {h.chunk.doc_id for h in editions.search(question)} == {OLD}
    # Documents the caller chose win over the one the question names.
    assert {h.chunk.doc_id for h in editions.ask(question, docs=[NEW]).hits} == {NEW}
    # A question naming none is searched everywhere, as asked.
    unnamed = editions.ask("How many corvettes does the Navy operate?")
    assert unnamed.resolved_question is None
    assert {h.chunk.doc_id for h in unnamed.hits} >= {OLD, NEW}


def test_a_follow_up_leans_on_the_query_not_on_the_note(editions: Engine) -> None:
    first = editions.ask("How many corvettes does the Navy operate according to the 2021 paper?")
    assert first.resolved_question is not None
    assert without_scope(first.resolved_question) == first.question

    second = editions.ask("And patrol boats?", history=[first])

    assert second.resolved_question is not None
    assert second.resolved_question.count("(searched in") == 1
    assert {c.doc_id for c in second.citations} == {NEW}
