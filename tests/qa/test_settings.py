from __future__ import annotations

import pytest

from qa import Settings


def test_answer_vectors_must_be_a_boolean() -> None:
    with pytest.raises(ValueError, match="answer_vectors must be True or False, got 'no'"):
        Settings(answer_vectors="no")  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "expected"), [("0", False), ("off", False), ("1", True)])
def test_answer_vectors_can_be_switched_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("CITEQA_ANSWER_VECTORS", value)
    assert Settings.from_env().answer_vectors is expected


def test_a_misspelt_switch_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITEQA_ANSWER_VECTORS", "sometimes")
    with pytest.raises(ValueError, match="CITEQA_ANSWER_VECTORS must be 0 or 1, got 'sometimes'"):
        Settings.from_env()
