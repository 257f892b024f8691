"""Fixtures the ui tests share: an engine over the example collection, and its upload folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa import Engine
from tests.fakes import fake_engine
from ui.server import EXAMPLE_DIR


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with fake_engine(tmp_path / "index", EXAMPLE_DIR) as engine:
        yield engine


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "index" / "uploads"
    folder.mkdir(parents=True)
    return folder
