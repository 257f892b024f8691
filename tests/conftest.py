from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import FakeEncoder

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True, scope="session")
def converted_model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Converted models go to one folder per session: each model converts once for all the
    tests (and the commands they start), and the user's own cache is never touched."""
    root = tmp_path_factory.mktemp("citeqa-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITEQA_CACHE_DIR", str(root))
        yield root / "models"


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def shared() -> Path:
    """The read-only ../shared data; tests using it skip on a clone without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    return SHARED
