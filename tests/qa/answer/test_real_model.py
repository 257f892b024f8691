"""The answer model with the bundled embedding model it was fitted with, on the invented
example collection: confidence, "not found" and short answers as an analyst sees them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa import Engine

EXAMPLE = Path(__file__).resolve().parents[3] / "ui" / "example"

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = Engine.open(tmp_path_factory.mktemp("index"))
    engine.add([EXAMPLE])
    yield engine
    engine.close()


@pytest.mark.parametrize(
    ("question", "short"),
    [
        ("What share of gross domestic product is the 2024 defence budget?", "2.1 percent"),
        ("How large is the Defence Innovation Fund?", "120 million crowns"),
        ("How long may procurement contracts last under the procurement law?", "twelve years"),
    ],
)
def test_answerable_questions_are_answered_with_confidence_and_a_short_answer(
    engine: Engine, question: str, short: str
) -> None:
    answer = engine.ask(question)
    assert answer.found
    assert answer.confidence is not None and answer.confidence > 0.5
    assert answer.short is not None and short in answer.short
    assert answer.short in " ".join(c.quote for c in answer.citations)


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        (
            "How many diesel submarines did the Ruritanian Navy of Zembla commission in 2019?",
            "no passage mentions Ruritanian, Zembla",
        ),
        ("What is a good recipe for chocolate cake frosting?", None),
    ],
)
def test_questions_the_collection_cannot_answer_are_not_found(
    engine: Engine, question: str, missing: str | None
) -> None:
    answer = engine.ask(question)
    assert not answer.found
    assert answer.confidence is not None and answer.confidence < 0.3
    assert answer.short is None
    if missing is not None:
        assert answer.missing == missing
