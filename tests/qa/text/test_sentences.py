from __future__ import annotations

import pytest

from qa.text.sentences import Sentence, split_sentences


def texts(source: str) -> list[str]:
    sentences = split_sentences(source)
    for s in sentences:
        assert source[s.start : s.end] == s.text
        assert s.text == s.text.strip()
    return [s.text for s in sentences]


def test_plain_sentences_with_offsets() -> None:
    source = "  The fleet sailed. It returned in May!  Why? "
    assert split_sentences(source) == [
        Sentence("The fleet sailed.", 2, 19),
        Sentence("It returned in May!", 20, 39),
        Sentence("Why?", 41, 45),
    ]


@pytest.mark.parametrize(
    "source",
    [
        "The U.S. Forces Korea held drills with the U.N. Command in the spring.",
        "The Japan-U.S. Alliance remains the cornerstone of regional stability.",
        "Troops are listed in Art. 5 and No. 3 of the annex on pp. 12-14 of the report.",
        "Dr. Lee briefed Gen. Park and Lt. Col. Choi on the exercise schedule.",
        "Some units, e.g. the engineers, i.e. the sappers, arrived first, etc. and then rested.",
        "The budget rose 8.2 percent to KRW 46.7 trillion in the second quarter.",
        "The delegation arrived in Jan. 2021 and left three days later.",
        "Commander J. Kim signed the order on the first day of the exercise.",
    ],
)
def test_abbreviations_initialisms_and_decimals_do_not_split(source: str) -> None:
    assert texts(source) == [source]


def test_initialism_at_sentence_end_splits_before_a_sentence_opener() -> None:
    source = "The envoy flew to the U.S. The talks began the next day."
    assert texts(source) == ["The envoy flew to the U.S.", "The talks began the next day."]


def test_numbered_headings_stay_with_their_title() -> None:
    source = (
        "3. Reinforcing the Defense Posture\n"
        "The ministry will expand training. It began in 2019. A review follows."
    )
    assert texts(source) == [
        "3. Reinforcing the Defense Posture",
        "The ministry will expand training.",
        "It began in 2019.",
        "A review follows.",
    ]
    assert texts("II. Overview\n\n1.2. Scope of the plan\nForces will grow.") == [
        "II. Overview",
        "1.2. Scope of the plan",
        "Forces will grow.",
    ]
    # Small capitals lost by the converter.
    assert texts("section 2 Keeping the sound open\nFor early warning, crews patrol.") == [
        "section 2 Keeping the sound open",
        "For early warning, crews patrol.",
    ]


def test_quotes_and_brackets_close_the_sentence_they_belong_to() -> None:
    source = 'The minister said, "We will prevail." (The vote was close.) “Peace first,” he added.'
    assert texts(source) == [
        'The minister said, "We will prevail."',
        "(The vote was close.)",
        "“Peace first,” he added.",
    ]


def test_wrapped_lines_join_but_paragraph_breaks_split() -> None:
    source = (
        "Operations in the Republic of\nKorea continue without pause.\n\n"
        "lowercase start after a break"
    )
    assert texts(source) == [
        "Operations in the Republic of\nKorea continue without pause.",
        "lowercase start after a break",
    ]


def test_lowercase_after_period_and_ellipsis_do_not_split() -> None:
    assert texts("The plan was delayed... and then revised. ok. Fine.") == [
        "The plan was delayed... and then revised. ok.",
        "Fine.",
    ]


def test_markdown_emphasis_after_a_full_stop_ends_the_sentence() -> None:
    assert texts("The memo moved the budget (Paper 12, 2031)._ Description of the project") == [
        "The memo moved the budget (Paper 12, 2031)._",
        "Description of the project",
    ]


def test_a_bracketed_annex_label_after_a_sentence_is_not_part_of_it() -> None:
    assert texts("The posts were closed within a year. 【Annex 1】 The patrols go on.") == [
        "The posts were closed within a year.",
        "【Annex 1】",
        "The patrols go on.",
    ]


def test_enumerated_items_open_sentences() -> None:
    source = (
        "3. Joint patrols in the outer harbour 1) Organization of the patrol "
        "① Each side assigns two boats of the\n"
        "coast guard. ② A boat flies a yellow flag (see 2) above) while on patrol.\n"
        "(3) Reports go to three offices: 1) Harbour, 2) Coast and 3) Navy."
    )
    assert texts(source) == [
        "3. Joint patrols in the outer harbour",
        "1) Organization of the patrol",
        "① Each side assigns two boats of the\ncoast guard.",
        "② A boat flies a yellow flag (see 2) above) while on patrol.",
        "(3) Reports go to three offices: 1) Harbour, 2) Coast and 3) Navy.",
    ]


def test_empty_and_whitespace() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n ") == []
    assert texts("No terminal punctuation") == ["No terminal punctuation"]
