from __future__ import annotations

from qa.clean.hyphens import join_hyphenated, join_line_end_hyphens
from qa.clean.vocabulary import Vocabulary

NO_CORPUS = Vocabulary()


def test_word_broken_by_hyphenation_is_rejoined() -> None:
    text = "it is impor-\ntant to train"
    assert join_line_end_hyphens(text, NO_CORPUS) == "it is important\nto train"


def test_real_compound_keeps_its_hyphen() -> None:
    text = "traditional and non-\ntraditional threats"
    assert join_line_end_hyphens(text, NO_CORPUS) == "traditional and non-traditional\nthreats"


def test_corpus_spelling_wins() -> None:
    vocabulary = Vocabulary.from_texts(["Closer cooperation helps."])
    assert join_hyphenated("co", "operation", vocabulary) == "cooperation"
    compound = Vocabulary.from_texts(["Closer co-operation helps."])
    assert join_hyphenated("co", "operation", compound) == "co-operation"


def test_line_holding_only_the_rest_of_the_word_disappears() -> None:
    text = "joint opera-\ntions\nfollow"
    assert join_line_end_hyphens(text, NO_CORPUS) == "joint operations\nfollow"


def test_numbers_and_capitals_are_not_joined() -> None:
    text = "from 2020-\n2021 and Asia-\nPacific"
    assert join_line_end_hyphens(text, NO_CORPUS) == text
