"""Two editions of an invented white paper and another document of the later year, indexed
with the fake encoder: the collection compare mode and the landing questions are tested on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa import Engine
from tests.conftest import FIXTURES
from tests.fakes import fake_engine

EDITIONS = FIXTURES / "editions"
OLD = "northmark_2019_DefenceWhitePaper"
NEW = "northmark_2021_DefenceWhitePaper"
OTHER = "eastport_2021_MaritimeStrategy"


@pytest.fixture
def editions(tmp_path: Path) -> Iterator[Engine]:
    with fake_engine(tmp_path / "index", EDITIONS) as engine:
        yield engine
