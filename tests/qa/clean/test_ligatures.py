from __future__ import annotations

import pytest

from qa.clean.ligatures import repair_ligatures
from qa.clean.vocabulary import Vocabulary

NO_CORPUS = Vocabulary()


@pytest.mark.parametrize(
    ("damaged", "repaired"),
    [
        ("their f rm resolve", "their firm resolve"),
        ("the inf luence of tides", "the influence of tides"),
        ("the diff iculty of docking", "the difficulty of docking"),
        ("f ve tugs", "five tugs"),
        ("fulf lling the plan", "fulfilling the plan"),
        ("an ef fort to help", "an effort to help"),
        ("senior off icers", "senior officers"),
        ("benef ts, wages", "benefits, wages"),
        ("the Pacif c.", "the Pacific."),
        ("(f rst draft)", "(first draft)"),
        ("stocks of f rearms", "stocks of firearms"),
        ("the f ref ghting crew", "the firefighting crew"),
    ],
)
def test_split_words_are_rejoined(damaged: str, repaired: str) -> None:
    assert repair_ligatures(damaged, NO_CORPUS) == repaired


@pytest.mark.parametrize(
    "phrase",
    [
        "one of the ships",
        "if five ships arrive",
        "the staff officers met",
        "Gulf of Aden",
        "half of them",
        "one of ten tugs",
        "self development",
    ],
)
def test_real_two_word_phrases_are_left_alone(phrase: str) -> None:
    assert repair_ligatures(phrase, NO_CORPUS) == phrase


def test_corpus_evidence_decides_between_two_real_words() -> None:
    # "off ice" is two words in general English; a text that writes "office" and never
    # "ice" alone shows the split was a dropped ligature.
    vocabulary = Vocabulary.from_texts(["The office opened. The Off ice of Ports."])
    assert repair_ligatures("the Off ice of Ports", vocabulary) == "the Office of Ports"
    assert repair_ligatures("the Off ice of Ports", NO_CORPUS) == "the Off ice of Ports"


def test_split_across_a_line_end_keeps_the_line_structure() -> None:
    assert repair_ligatures("we conf\nrmed the date", NO_CORPUS) == "we confirmed\nthe date"
