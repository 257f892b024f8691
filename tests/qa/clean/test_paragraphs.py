from __future__ import annotations

from qa.clean.paragraphs import paragraphs
from qa.types import Document, Page


def _doc(*texts: str) -> Document:
    return Document(id="d", title="t", pages=tuple(Page(n, t) for n, t in enumerate(texts, 10)))


def test_blank_lines_separate_paragraphs_and_wrapped_lines_join() -> None:
    found = paragraphs(_doc("The port\nopened early.\n\nShips came."))
    assert [p.text for p in found] == ["The port opened early.", "Ships came."]
    assert [p.pages for p in found] == [(10,), (10,)]


def test_column_break_inside_a_sentence_is_not_a_paragraph_end() -> None:
    (found,) = paragraphs(_doc("Despite the fog, the harbour master\n\nis striving to keep order."))
    assert found.text == "Despite the fog, the harbour master is striving to keep order."


def test_heading_sets_section_and_is_its_own_paragraph() -> None:
    found = paragraphs(_doc("Intro text.\n\n# 2. Training of Pilots\n\nPilots train yearly."))
    assert [(p.text, p.section) for p in found] == [
        ("Intro text.", None),
        ("2. Training of Pilots", "2. Training of Pilots"),
        ("Pilots train yearly.", "2. Training of Pilots"),
    ]


def test_bold_heading_line_sets_section() -> None:
    found = paragraphs(_doc("Intro text.\n\n**2. Training of Pilots**\n\nPilots train yearly."))
    assert [(p.text, p.section) for p in found][1:] == [
        ("2. Training of Pilots", "2. Training of Pilots"),
        ("Pilots train yearly.", "2. Training of Pilots"),
    ]


_SPACED_LINES = [
    "The coast guard keeps four cutters on station in the northern",
    "Sound, and two more stand ready in the harbour for the winter.",
    "Fog lifts by noon on most days of the year in the",
    "Outer Banks, where the ferries run twice a day.",
    "Tugs wait at the pier.",
    "Crews train every week.",
]


def test_double_spaced_page_breaks_paragraphs_only_after_sentences() -> None:
    found = paragraphs(_doc("\n\n".join(_SPACED_LINES)))
    assert [p.text for p in found] == [
        " ".join(_SPACED_LINES[:2]),
        " ".join(_SPACED_LINES[2:4]),
        _SPACED_LINES[4],
        _SPACED_LINES[5],
    ]


def test_blank_line_before_a_capital_still_ends_a_paragraph_on_a_plain_page() -> None:
    text = "The harbour was quiet\nall week, said the master\n\nSound crews disagreed.\nThey left."
    assert len(paragraphs(_doc(text))) == 2


def test_paragraph_running_off_the_page_continues_on_the_next() -> None:
    found = paragraphs(_doc("Done here.\n\nThe board asked for", "", "their support. Next."))
    assert found[-1].text == "The board asked for their support. Next."
    assert found[-1].pages == (10, 12)
    assert found[-1].page_starts == (0, len("The board asked for "))


def test_finished_paragraph_does_not_continue_across_pages() -> None:
    found = paragraphs(_doc("All done.", "New start."))
    assert [p.pages for p in found] == [(10,), (11,)]


def test_words_split_at_a_page_end_are_rejoined() -> None:
    (found,) = paragraphs(_doc("the impor-", "tant rule and the inf", "luence of tides."))
    assert found.text == "the important rule and the influence of tides."


def test_document_without_pages_gives_paragraphs_without_pages() -> None:
    found = paragraphs(Document(id="d", title="t", text="# Scope\n\nOne.\n\nTwo."))
    assert [(p.text, p.pages, p.section) for p in found] == [
        ("Scope", (), "Scope"),
        ("One.", (), "Scope"),
        ("Two.", (), "Scope"),
    ]
