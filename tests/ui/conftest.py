"""Fixtures the ui tests share: an engine over the example collection, and its upload folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa import Engine
from tests.fakes import FakeEncoder
from ui.server import EXAMPLE_DIR


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    engine.add(EXAMPLE_DIR)
    yield engine
    engine.close()


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "index" / "uploads"
    folder.mkdir(parents=True)
    return folder
