"""A short run of bench/load.py against the real server in a thread (fake encoder)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from qa import Engine
from tests.fakes import FakeEncoder
from tests.ui.browser import serving
from ui.server import EXAMPLE_DIR

LOAD_SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "load.py"
QUESTIONS = [
    "How many fighter aircraft does the Air Force fly?",
    "Which ships make up the Navy?",
    "What does the cyber command do?",
    "How large is the defence budget?",
]


@pytest.fixture(scope="module")
def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("citeqa_bench_load", LOAD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class body runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    engine.add(EXAMPLE_DIR)
    try:
        with serving(engine, tmp_path / "index" / "uploads") as url:
            yield url
    finally:
        engine.close()


@pytest.mark.slow
def test_concurrent_asks_with_an_upload_lose_no_query(load: ModuleType, url: str) -> None:
    report = load.run_load(url, QUESTIONS, clients=4, seconds=5)
    assert len(report.samples) >= 20
    assert report.errors == []
    upload = report.upload
    assert upload.status == 201
    assert upload.found, "the uploaded document did not answer its question"
    assert upload.removed
    during = report.during_upload()
    assert during, "no ask overlapped the upload"
    assert all(sample.error is None for sample in during)
    assert "errors: 0" in load.format_report(report)
