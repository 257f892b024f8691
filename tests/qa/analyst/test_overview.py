from __future__ import annotations

from pathlib import Path

import pytest

from qa import Document, Engine
from qa.analyst.overview import suggest
from qa.index.records import DocumentInfo
from qa.types import Answer, Chunk
from tests.fakes import FakeEncoder
from tests.qa.editions import NEW, OLD, OTHER, editions

__all__ = ["editions"]


def test_the_landing_overview_counts_the_collection_and_suggests_checked_questions(
    editions: Engine,
) -> None:
    overview = editions.overview()
    assert (overview.documents, overview.pages, overview.chunks) == (3, 10, 10)
    assert overview.updated_at is not None
    assert 4 <= len(overview.suggestions) <= 6
    # Made from different documents, each named in its question, each answered from it.
    assert {s.doc_id for s in overview.suggestions} == {OLD, NEW, OTHER}
    for suggestion in overview.suggestions:
        assert suggestion.question.startswith(f"According to the {suggestion.title}, ")
        answer = editions.ask(suggestion.question)
        assert answer.found
        assert suggestion.doc_id in {c.doc_id for c in answer.citations}


def test_suggestions_come_from_the_text_and_follow_it(tmp_path: Path) -> None:
    with Engine.open(tmp_path / "index", encoder=FakeEncoder()) as engine:
        engine.add(
            Document(
                id="lighthouses",
                title="Lighthouse Report",
                text="The keepers' association comprises 41 keepers on nine islands.\n\n"
                "The Gullwick light was established in 1871 on the northern cape.",
            )
        )
        first = {s.question for s in engine.overview().suggestions}
        assert first == {
            "How many keepers does the keepers' association comprise?",
            "When was the Gullwick light established?",
        }
        assert engine.overview() is engine.overview()  # made once per index generation
        engine.add(
            Document(
                id="lighthouses",
                title="Lighthouse Report",
                text="The Skerry light was established in 1902 on a reef.",
            )
        )
        assert {s.question for s in engine.overview().suggestions} == {
            "When was the Skerry light established?"
        }


def test_a_suggestion_whose_answer_comes_from_elsewhere_is_dropped() -> None:
    chunk = Chunk.make(
        doc_id="a",
        title="A",
        pages=(1,),
        section=None,
        text="The Navy operates four frigates.",
        source=None,
    )
    document = DocumentInfo("a", "A", None, pages=1, chunks=1, content_hash="h")
    asked: list[str] = []

    def ask(question: str) -> Answer:
        asked.append(question)
        return Answer(question=question, text="Not here.", found=False)

    assert suggest([document], lambda doc_id: [chunk], ask) == ()
    assert asked == ["How many frigates does the Navy operate?"]
    with pytest.raises(ValueError, match="n must be from 1 to 6"):
        suggest([document], lambda doc_id: [chunk], ask, n=9)


def test_an_empty_index_has_no_suggestions(tmp_path: Path) -> None:
    with Engine.open(tmp_path / "index", encoder=FakeEncoder()) as engine:
        overview = engine.overview()
        assert (overview.documents, overview.chunks, overview.suggestions) == (0, 0, ())
        assert overview.updated_at is None
