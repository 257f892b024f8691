from __future__ import annotations

import pytest

from qa.text import looks_like_heading, numbered_heading


@pytest.mark.parametrize(
    "line",
    [
        "2. Training of Pilots",
        "Chapter 3 Defence Posture and Readiness",
        "DEFENCE POLICY OF THE REPUBLIC",
        "Section 5 Reinforcing Support for Retiring Servicemembers",
        "IV. Alliances and Partnerships",
        "Overview of UN Peacekeeping Operations",
        "Cyber Security",
    ],
)
def test_numbered_title_cased_or_capitalised_short_lines_are_headings(line: str) -> None:
    assert looks_like_heading(line)


@pytest.mark.parametrize(
    "line",
    [
        "Starting with the deployment of an engineering unit to the isle in 1993, the navy, which",
        "For the defence of the peninsula, the armed forces will closely consult",
        "The proportion of the defence budget in the gross domestic product and",
        "Patrol boats sail from four new stations.",
        "the harbour master",
        "",
        "A heading that goes on and on and on with far too many words to be any real heading",
    ],
)
def test_sentences_and_their_fragments_are_not_headings(line: str) -> None:
    assert not looks_like_heading(line)


@pytest.mark.parametrize(
    ("line", "numbered"),
    [
        ("1. national Coastal Objectives", True),
        ("section 2 coastal defence policy", True),
        ("IV. Outlook", True),
        ("3-2 Force structure", True),
        ("2031 Coastal budget", False),  # a year, not a heading number
        ("1) an item of a list", False),
        ("A new era", False),
        ("1. The ministry will expand the fleet.", False),
    ],
)
def test_a_numbered_heading_is_one_whatever_its_case(line: str, numbered: bool) -> None:
    assert numbered_heading(line) is numbered
