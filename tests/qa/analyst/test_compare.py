from __future__ import annotations

from dataclasses import replace

import pytest

from qa import Engine
from qa.analyst.compare import edition_year, focused_question, named_documents
from qa.errors import InvalidQuestion, UnknownDocument
from qa.text.words import title_words
from tests.qa.editions import NEW, OLD, OTHER, TITLES, editions

__all__ = ["editions"]


def _named(question: str) -> list[str]:
    return [n.doc_id for n in named_documents(question, TITLES)]


def test_years_with_a_kind_of_document_name_the_editions_of_one_series() -> None:
    # Two documents each of 2018 and 2021: the series that has both years wins.
    assert _named("Compare the 2019 and 2021 white papers on the defence budget") == [OLD, NEW]
    assert _named("How did the defence budget change between the 2018 and 2020 editions?") == [
        "southkorea_2018_DefenseWhitePaper",
        "southkorea_2020_DefenseWhitePaper",
    ]


def test_the_question_s_words_pick_among_documents_of_one_year() -> None:
    assert _named("What does the 2021 Maritime Strategy say, and the 2019 white paper?") == [
        OTHER,
        OLD,
    ]
    assert _named(
        "How do the Netherlands' 2018 white paper and the 2021 Northmark paper differ?"
    ) == [
        "netherlands_2018_DefenceWhitePaper",
        NEW,
    ]
    # Written the usual way, a name stored as one word still counts ("South Korea's").
    assert _named("Do South Korea's 2018 white paper and the 2021 Maritime Strategy agree?") == [
        "southkorea_2018_DefenseWhitePaper",
        OTHER,
    ]


def test_years_that_date_facts_name_no_document() -> None:
    assert _named("How many soldiers served between 2019 and 2021?") == []
    assert _named("What was the 2019 defence budget?") == []
    assert _named("What was the budget in 2023 according to the white papers?") == []


def test_a_focused_question_drops_the_other_editions_years_and_dates_relative_years() -> None:
    question = "What budget for the following year do the 2019 and 2021 white papers report?"
    named = named_documents(question, TITLES)
    assert focused_question(question, named, OLD, 2019) == (
        "What budget for 2020 does the 2019 white paper report?"
    )
    assert focused_question(question, named, NEW, 2021) == (
        "What budget for 2022 does the 2021 white paper report?"
    )
    each = "How do the 2019 and 2021 editions each define the border regiment?"
    assert focused_question(each, named_documents(each, TITLES), NEW) == (
        "How does the 2021 edition define the border regiment?"
    )
    framed = "Compare the 2019 and 2021 white papers on conscription"
    assert focused_question(framed, named_documents(framed, TITLES), OLD) == (
        "What does it say about conscription?"
    )


def test_a_clause_asked_of_another_edition_is_dropped_with_its_dates() -> None:
    question = (
        "How many cutters did the coast guard have at the end of 2019 according to the 2019 "
        "white paper, and in 2021 according to the 2021 edition?"
    )
    named = named_documents(question, TITLES)
    assert focused_question(question, named, OLD) == (
        "How many cutters did the coast guard have at the end of 2019 according to the 2019 "
        "white paper?"
    )
    # The other edition's clause gives what is asked; this edition's clause when and where.
    assert focused_question(question, named, NEW) == (
        "How many cutters did the coast guard have in 2021 according to the 2021 edition?"
    )
    asking = (
        "What reform does the 2019 white paper promote, and what plan does the 2021 edition "
        "promote instead?"
    )
    assert focused_question(asking, named_documents(asking, TITLES), NEW) == (
        "What reform does the white paper promote, and what plan does the 2021 edition "
        "promote instead?"
    )


def test_edition_year_needs_exactly_one_year() -> None:
    assert edition_year(title_words(OLD, TITLES[OLD])) == 2019
    assert edition_year(title_words("review", "Review 2016-2020")) is None
    assert edition_year(title_words("notes", "Field notes")) is None


def test_each_document_answers_alone_with_its_own_citations(editions: Engine) -> None:
    answers = editions.compare(
        "How many active soldiers does the Northmark Army comprise?", [NEW, OLD]
    )
    assert list(answers) == [NEW, OLD]
    assert "14,500 active soldiers" in answers[NEW].text
    assert "12,000 active soldiers" in answers[OLD].text
    for doc_id, answer in answers.items():
        assert answer.found
        assert answer.question == "How many active soldiers does the Northmark Army comprise?"
        assert {c.doc_id for c in answer.citations} == {doc_id}


def test_a_document_that_does_not_say_is_not_found_in_its_column(editions: Engine) -> None:
    answers = editions.compare(
        "When was the Cyber Defence Unit established according to the 2019 and 2021 white papers?"
    )
    assert list(answers) == [OLD, NEW]
    assert answers[OLD].found and "established in 2017" in answers[OLD].text
    assert not answers[NEW].found


def test_each_column_reads_further_down_its_document_than_a_chat_answer(
    editions: Engine,
) -> None:
    question = "How many active soldiers does the Northmark Army comprise?"
    wider = replace(editions.settings, answer_passages=1, top_k=1, compare_passages=3)
    with Engine.open(editions.folder, encoder=editions.encoder, settings=wider) as engine:
        columns = engine.compare(question, [NEW, OLD])
        assert len(engine.ask(question, docs=[NEW]).hits) == 1
    assert len(columns[NEW].hits) == len(columns[OLD].hits) == 3
    assert "14,500 active soldiers" in columns[NEW].text


def test_compare_refuses_what_it_cannot_compare(editions: Engine) -> None:
    with pytest.raises(InvalidQuestion, match="2 to 4 different documents, got 1"):
        editions.compare("How many corvettes?", [OLD, OLD])
    with pytest.raises(UnknownDocument, match="'northmark_2023'"):
        editions.compare("How many corvettes?", [OLD, "northmark_2023"])
    with pytest.raises(InvalidQuestion, match="name them in the question"):
        editions.compare("How many corvettes does the Navy operate?")
    with pytest.raises(InvalidQuestion, match="empty"):
        editions.compare("  ", [OLD, NEW])
