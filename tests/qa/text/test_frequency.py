from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from wordfreq import get_frequency_dict, zipf_frequency

from qa.text import frequency
from qa.text.frequency import zipf


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CITEQA_CACHE_DIR", str(tmp_path))
    frequency._table.cache_clear()
    zipf.cache_clear()
    yield tmp_path / "wordfreq"
    frequency._table.cache_clear()
    zipf.cache_clear()


def test_every_kind_of_word_gets_wordfreqs_value() -> None:
    listed = [w for w in get_frequency_dict("en", "best") if w.isascii() and w.isalpha()]
    numbers = [str(n) for n in range(12_000)] + ["007", "00", "2039", "2041", "123456789012"]
    others = ["Army", "NAVY", "Whitepaper", "southkorea", "qzxv", "défense", "co-operate"]
    others += ["1,000", "F35", "don't", "U.S.", "", "   "]
    words = listed[::25] + numbers + others
    assert [zipf(w) for w in words] == [zipf_frequency(w, "en") for w in words]


def test_the_table_is_kept_and_a_damaged_one_is_built_again(own_cache: Path) -> None:
    assert zipf("army") == zipf_frequency("army", "en")
    (kept,) = own_cache.glob("*.marshal")
    kept.write_bytes(b"\x00 not a table")
    frequency._table.cache_clear()
    zipf.cache_clear()

    assert zipf("navy") == zipf_frequency("navy", "en")
    frequency._table.cache_clear()
    assert frequency._table()[0]["navy"] == zipf("navy")  # read back from the rebuilt file
