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
# Titles of the fixture editions beside those of real ones whose years collide with them.
TITLES = {
    OLD: "Northmark 2019 Defence White Paper",
    NEW: "Northmark 2021 Defence White Paper",
    OTHER: "Eastport 2021 Maritime Strategy",
    "southkorea_2018_DefenseWhitePaper": "Southkorea 2018 Defense White Paper",
    "southkorea_2020_DefenseWhitePaper": "Southkorea 2020 Defense White Paper",
    "netherlands_2018_DefenceWhitePaper": "Netherlands 2018 Defence White Paper",
}


@pytest.fixture
def editions(tmp_path: Path) -> Iterator[Engine]:
    with fake_engine(tmp_path / "index", EDITIONS) as engine:
        yield engine
