from __future__ import annotations

import numpy as np
import pytest

from qa.answer.features import (
    CHEAP,
    QUESTION,
    RANKER,
    QuestionSignals,
    candidate_table,
    dense_features,
    question_features,
)
from qa.answer.question import analyse
from qa.types import TABLE, Chunk, Hit

NAVY = (
    "The fleet held its annual review at the southern port. "
    "The navy commissioned four diesel submarines in 2019 to guard the western strait. "
    "Harbour pilots were trained separately."
)
FLEET = (
    "Cutter Fleet by Station\n| Station | Cutters |\n| --- | --- |\n"
    "| North Sound | 4 |\n| Outer Banks | 2 |"
)


def _hit(rank: int, text: str, kind: str = "paragraph") -> Hit:
    chunk = Chunk.make(
        doc_id="alpha",
        title="Alpha Review",
        pages=(rank,),
        section=None,
        text=text,
        source=None,
        kind=kind,
    )
    return Hit(chunk=chunk, score=1.0 / rank, rank=rank)


def test_every_quotable_unit_of_the_read_passages_is_a_candidate_with_its_features() -> None:
    question = "How many submarines did the navy commission in 2019?"
    hits = [_hit(1, NAVY), _hit(2, FLEET, TABLE), _hit(3, "Snow fell for weeks in the hills.")]
    table = candidate_table(question, hits, analyse(question), passages=2)
    assert table.cheap.shape == (len(table.candidates), len(CHEAP))
    assert {c.passage for c in table.candidates} == {0, 1}
    texts = [c.unit.sentence.text for c in table.candidates]
    best = texts.index(
        "The navy commissioned four diesel submarines in 2019 to guard the western strait."
    )
    assert table.column("carries")[best] == 1  # "four" answers "how many"
    assert table.column("year_match")[best] == 1
    assert table.column("lexical")[best] == table.column("lexical").max()
    assert table.column("lexical_gap").max() == 0
    assert np.allclose(table.column("prior"), [1 / (1 + c.passage) for c in table.candidates])
    rows = [c.unit.row is not None for c in table.candidates]
    assert list(table.column("table_row") == 1) == rows and any(rows)
    assert np.allclose(
        table.column("retrieval_share"), [1 / (1 + c.passage) for c in table.candidates]
    )


def test_dense_features_are_the_clipped_cosine_and_its_gap_to_the_best() -> None:
    dense = np.array([0.2, -0.1, 0.7], dtype=np.float32)
    assert np.allclose(dense_features(dense), [[0.2, -0.5], [0.0, -0.7], [0.7, 0.0]])


def test_question_features_read_the_best_candidate_and_the_signals() -> None:
    analysis = analyse("When was the fleet founded?")
    signals = QuestionSignals(0.5, ("Zembla",), False, "euros", 3)
    rows = np.zeros((2, len(RANKER)))
    rows[0, RANKER.index("dense")] = 0.8
    features = question_features(np.array([2.0, 0.5]), rows, analysis, signals)
    named = dict(zip(QUESTION, features, strict=True))
    assert named["top_logit"] == 2.0 and named["margin"] == 1.5 and named["top_dense"] == 0.8
    assert named["named_coverage"] == 0.5 and named["missing_names"] == 1
    assert named["missing_unit"] == 1 and named["asks_measure"] == 1
    assert named["any_missing_names"] == 1 and named["coverage_shortfall"] == 0.25
    assert named["top_share"] == pytest.approx(1 / (1 + np.exp(-1.5)))
    assert named["measure_uncounted"] == 1
    empty = question_features(np.zeros(0), np.zeros((0, len(RANKER))), analysis, signals)
    assert empty[QUESTION.index("top_logit")] < -5
