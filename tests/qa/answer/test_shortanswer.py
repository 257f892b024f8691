from __future__ import annotations

import numpy as np
import pytest

from qa.answer.model import load_model
from qa.answer.phrases import phrases
from qa.answer.question import analyse
from qa.answer.rule_choice import rule_choice
from qa.answer.shortanswer import asking, best_phrase, short_answer
from qa.text.words import words


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
def test_the_rule_choice_feature_is_the_asked_for_phrase(
    question: str, sentences: list[str], short: str
) -> None:
    assert rule_choice(analyse(question), question, sentences) == short


@pytest.mark.parametrize(
    ("question", "sentence", "short"),
    [
        (
            "When did the Northland navy commission its first submarine?",
            "The Northland navy commissioned its first submarine on 3 May 1961.",
            "3 May 1961",
        ),
        (
            "How many patrol boats does the Northland coast guard operate?",
            "Founded in 1950, the Northland coast guard operates 14 patrol boats.",
            "14 patrol boats",
        ),
    ],
)
def test_the_shipped_model_picks_the_typed_phrase(question: str, sentence: str, short: str) -> None:
    assert short_answer(analyse(question), question, [sentence], [1.0], load_model()) == short


def test_no_figure_in_the_quote_means_no_short_answer_to_how_many() -> None:
    question = "How many patrol boats does the Northland coast guard operate?"
    sentences = ["The Northland coast guard patrols the fjords in all seasons."]
    assert short_answer(analyse(question), question, sentences, [1.0], load_model()) is None


WORDY = [
    "The self-defense forces set up the mid-2015 centre, now the Space Operations Center.",
    "Its non-routine tasks (search and rescue) cost KRW 4.5 trillion in FY2019 alone.",
    "Re-organisation cut the co-operation units from 39 to 33 by 2022, the ministry said.",
]


@pytest.mark.parametrize("sentence", WORDY)
@pytest.mark.parametrize(
    "question",
    [
        "What is the centre called today?",
        "How much did the tasks cost?",
        "How many units were there after the cut?",
        "Why did the ministry reorganise?",
    ],
)
def test_candidate_phrases_never_start_or_end_inside_a_word(sentence: str, question: str) -> None:
    for phrase in phrases(analyse(question), question, sentence):
        assert sentence[phrase.start : phrase.end] == phrase.text
        before = sentence[phrase.start - 1] if phrase.start else " "
        after = sentence[phrase.end] if phrase.end < len(sentence) else " "
        assert not (before.isalnum() or before == "-"), phrase
        assert not (after.isalnum() or after == "-"), phrase
    found = short_answer(analyse(question), question, [sentence], [1.0], load_model())
    assert found is None or found in sentence


def test_phrases_stay_inside_one_table_cell() -> None:
    question = "How many patrol boats does the Northland coast guard operate?"
    row = "Coast guard; Approx. 1,400 in 6 squadrons; Patrol boats; 14 ... Navy; 2,100"
    for phrase in phrases(analyse(question), question, row):
        assert ";" not in phrase.text and "..." not in phrase.text, phrase


def test_a_figure_with_thousands_is_never_cut_at_its_comma() -> None:
    question = "By how much will the Northland army shrink?"
    sentence = "The Northland army will shrink from 618,000 troops to 500,000 by 2031."
    texts = [p.text for p in phrases(analyse(question), question, sentence)]
    assert "from 618,000 troops to 500,000" in texts
    assert not any(t.endswith(("618", "500")) or t.startswith("000") for t in texts), texts


def test_a_how_many_question_only_takes_phrases_holding_a_figure() -> None:
    question = "How many patrol boats does the Northland coast guard operate?"
    sentence = "Founded in 1950, the Northland coast guard operates 14 patrol boats in the fjords."
    found = phrases(analyse(question), question, sentence)
    assert found and all(any(ch.isdigit() for ch in p.text) for p in found)
    assert "operates 14 patrol boats" in [p.text for p in found]


def test_a_percentage_of_something_keeps_what_it_is_of_or_stands_alone() -> None:
    question = "To what level was the Northland conscript pay raised?"
    sentence = "Conscript pay was raised to 45% of the minimum wage in 2031."
    texts = [p.text for p in phrases(analyse(question), question, sentence)]
    assert "45% of the minimum wage in 2031" in texts
    assert not any(t.endswith(" of") for t in texts), texts


def test_the_whole_sentence_is_never_its_own_short_answer() -> None:
    question = "How many submarines does the Northland navy operate?"
    sentence = "The Northland navy operates 4 submarines."
    texts = [p.text for p in phrases(analyse(question), question, sentence)]
    assert "4 submarines" in texts
    assert "The Northland navy operates 4 submarines" not in texts


def test_a_follow_up_is_answered_with_the_figure_it_asks_for() -> None:
    resolved = "And how many submarines? (How many frigates does the Northland navy operate?)"
    own = words("And how many submarines?")
    sentence = "The Northland navy operates 12 frigates and 4 submarines from two bases."
    found = short_answer(analyse(resolved), asking(resolved, own), [sentence], [1.0], load_model())
    assert found is not None and "4 submarines" in found and "12" not in found


def test_the_short_answer_is_the_likeliest_phrase_of_the_quoted_sentences() -> None:
    """Each phrase's chance is its share among its sentence's phrases times its sentence's
    probability: checked against every (sentence, phrase) pair."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        scores = [rng.normal(size=int(rng.integers(0, 5))) * 3 for _ in range(3)]
        probabilities = rng.dirichlet(np.ones(3))
        chances = {
            (i, j): np.exp(s[j]) / np.exp(s).sum() * probabilities[i]
            for i, s in enumerate(scores)
            for j in range(len(s))
        }
        chosen = best_phrase(scores, probabilities)
        if not chances:
            assert chosen is None
            continue
        i, j = max(chances, key=chances.get)
        assert chosen is not None and chosen[:2] == (i, j)
        assert chosen[2] == pytest.approx(np.exp(scores[i][j]) / np.exp(scores[i]).sum())
