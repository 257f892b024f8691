from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def converted_model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Encoders without a ``cache_dir`` keep converted models in one folder per session: each
    model converts once for all the tests, and the user's own cache is never touched."""
    root = tmp_path_factory.mktemp("citeqa-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITEQA_CACHE_DIR", str(root))
        yield root / "models"
