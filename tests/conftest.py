from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import FakeEncoder

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def shared() -> Path:
    """The read-only ../shared data; tests using it skip on a clone without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    return SHARED
