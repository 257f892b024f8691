from __future__ import annotations

import pytest

from qa.ingest.plain import document_title, load_plain, title_from_stem
from tests.conftest import FIXTURES


@pytest.mark.parametrize(
    ("stem", "title"),
    [
        ("japan_2031_NationalDefenseStrategy", "Japan 2031 National Defense Strategy"),
        ("field-notes", "Field Notes"),
        ("ROKDefense2030", "ROK Defense 2030"),
        ("report", "Report"),
    ],
)
def test_titles_from_file_names_read_as_words(stem: str, title: str) -> None:
    assert title_from_stem(stem) == title


def test_markdown_without_page_marks_is_one_unpaged_document() -> None:
    path = FIXTURES / "documents" / "field-notes.md"
    doc = load_plain(path.read_text(encoding="utf-8"), str(path), "field-notes.md")

    assert doc.pages is None
    assert doc.id == "field-notes"
    assert doc.title == "Field Notes on Mountain Signals"
    assert "## Maintenance" in doc.text


def test_heading_far_into_the_text_is_not_taken_as_the_title() -> None:
    text = "Opening words without any heading.\n\n" + "filler line\n" * 500 + "# Chapter 9\n"
    assert document_title(text, "memo") == "Memo"


def test_emphasis_marks_are_dropped_from_a_heading_title() -> None:
    assert document_title("# **Border** `Watch` Plan\n\nText.", "bw") == "Border Watch Plan"


def test_a_markdown_title_wins_over_a_descriptive_file_name() -> None:
    text = "# Harbour Defence Plan for Kestrel\n\nThe plan names the patrol boats.\n"
    doc = load_plain(text, "/in/kestrel_2030_CoastalDefencePlan.md", "x.md")

    assert doc.title == "Harbour Defence Plan for Kestrel"
    assert doc.id == "kestrel_2030_CoastalDefencePlan"


def test_a_first_line_of_body_text_keeps_the_file_name_title() -> None:
    text = "The depot stores fuel for the winter and rations for six weeks.\n\n# Fuel Plan\n"
    assert document_title(text, "kestrel_2030_DepotReview") == "Kestrel 2030 Depot Review"


@pytest.mark.parametrize(
    "opening",
    [
        "## DEFENCE\n\n### STRATEGIC UPDATE\n",  # one line of a cover
        "11-1290000-000446-11\n\n## 2018 DEFENSE\n\n###### WHITE PAPER\n",
        "#### Table of Contents\n\n1. Introduction\n",
        "**December 16, 2022**\n\nThe strategy ...\n",
        "###### DEFENCE MINISTRY OF THE REPUBLIC OF KESTREL\n",
        "# National Security Strategy\n",  # says only what kind of document it is
        "###### Robust. Resilient. Sustainable.\n",
        "## DEFENCE AND\n\n NATIONAL SECURITY\n",
        "#### N A T I O N A L  S E C U R I T Y\n",
        "[Source: www.example.org 2021-06-23](http://example.org)\n",
    ],
)
def test_what_is_not_a_title_leaves_the_file_name_title(opening: str) -> None:
    assert document_title(opening, "kestrel_2030_DefenceReview") == "Kestrel 2030 Defence Review"


def test_a_title_in_capitals_is_recased_keeping_its_acronyms() -> None:
    assert (
        document_title("-----\n\n# 2024 DEFENCE WHITE PAPER OF THE ROK NAVY\n", "x")
        == "2024 Defence White Paper of the ROK Navy"
    )
