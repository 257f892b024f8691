"""How common an English word is: wordfreq's Zipf frequency, from a table kept on disk.

Importing wordfreq and reading its English list costs a third of a second of CPU (langcodes'
tables, ftfy, the msgpack list) in every command that tokenizes text. Nearly every word asked
about is plain ASCII letters or digits; for those, ``zipf`` computes wordfreq's value the way
wordfreq does, from wordfreq's own list, saved once per installed list in the user cache
(``$CITEQA_CACHE_DIR``, else ``~/.cache/citeqa``) as a marshal file. Any other word (accents,
hyphens, apostrophes, "1,000") goes to wordfreq itself.
"""

from __future__ import annotations

import importlib.util
import logging
import marshal
import math
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from embeddings.encoder import user_cache_dir

logger = logging.getLogger(__name__)

# zipf_frequency's default minimum (Zipf 0) as a frequency: what an unknown word gets.
_MINIMUM = 10**0 / 1e9
# wordfreq's number model (wordfreq/numbers.py): leading-digit frequencies after Benford, and
# four-digit runs read as years with a plateau after the year its data was collected.
_DIGIT_FREQS = (0.009, 0.300, 0.175, 0.124, 0.096, 0.078, 0.066, 0.057, 0.050, 0.045)
_YEAR_LOG_PEAK = -1.9185
_NOT_YEAR_PROB = 0.1
_REFERENCE_YEAR = 2019
_PLATEAU_WIDTH = 20


def _is_plain(word: str) -> bool:
    return word.isascii() and (word.isalpha() or word.isdigit())


@lru_cache(maxsize=200_000)
def zipf(word: str) -> float:
    """``zipf_frequency(word, "en")``: 0 for an unknown word, ~7 for "the"; any case."""
    if not _is_plain(word):
        from wordfreq import zipf_frequency

        return zipf_frequency(word, "en")
    words, digits = _table()
    if word.isalpha():
        return words.get(word.lower(), _zipf(_MINIMUM))
    # A run of two or more digits is looked up as zeros and weighted by the digits' own odds.
    smashed = word if len(word) < 2 else "0" * len(word)
    freq = digits.get(smashed)
    if freq is None:
        return _zipf(_MINIMUM)
    if smashed != word:
        freq *= _year_freq(word) if len(word) == 4 else _benford_freq(word)
    return _token_zipf(freq)


def _token_zipf(freq: float) -> float:
    # wordfreq sums 1/f over a text's tokens and inverts the sum; for one token that is
    # 1 / (1 / f), which can differ from f in the last bit, and so in the rounding after it.
    return _zipf(_rounded(1.0 / (1.0 / freq)))


def _rounded(freq: float) -> float:
    # wordfreq keeps three significant digits of a frequency.
    unrounded = max(freq, _MINIMUM)
    return round(unrounded, math.floor(-math.log(unrounded, 10)) + 3)


def _zipf(freq: float) -> float:
    return round(math.log(freq, 10) + 9, 2)


def _benford_freq(digits: str) -> float:
    return _DIGIT_FREQS[int(digits[0])] / 10 ** (len(digits) - 1)


def _year_freq(digits: str) -> float:
    year = int(digits)
    if year <= _REFERENCE_YEAR:
        log_freq = _YEAR_LOG_PEAK - 0.0083 * (_REFERENCE_YEAR - year)
    elif year <= _REFERENCE_YEAR + _PLATEAU_WIDTH:
        log_freq = _YEAR_LOG_PEAK
    else:
        log_freq = _YEAR_LOG_PEAK - 0.2 * (year - (_REFERENCE_YEAR + _PLATEAU_WIDTH))
    return 10.0**log_freq + _NOT_YEAR_PROB * _benford_freq(digits)


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, float], dict[str, float]]:
    """(letters-only word -> its Zipf value, digits-only key -> its raw frequency)."""
    source = _source_list()
    stat = source.stat()
    path = user_cache_dir() / "wordfreq" / f"en-{stat.st_size}-{stat.st_mtime_ns}.marshal"
    try:
        words, digits = marshal.loads(path.read_bytes())
        if isinstance(words, dict) and isinstance(digits, dict):
            return words, digits
        logger.warning("%s holds something else than a word table: building it again", path)
    except FileNotFoundError:
        pass
    except (EOFError, ValueError, TypeError) as exc:
        logger.warning("%s is damaged (%s): building it again", path, exc)
    words, digits = _build()
    _save(path, marshal.dumps((words, digits)))
    return words, digits


def _source_list() -> Path:
    # The package's folder without importing it: importing is the cost this module avoids.
    spec = importlib.util.find_spec("wordfreq")
    assert spec is not None and spec.submodule_search_locations is not None
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "large_en.msgpack.gz"


def _build() -> tuple[dict[str, float], dict[str, float]]:
    from wordfreq import get_frequency_dict

    freqs = get_frequency_dict("en", "best")
    words = {
        word: _token_zipf(freq)
        for word, freq in freqs.items()
        if word.isascii() and word.isalpha() and word.islower()
    }
    digits = {key: freq for key, freq in freqs.items() if key.isascii() and key.isdigit()}
    return words, digits


def _save(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Renamed into place: a process reading it never sees half a file.
        handle, staging = tempfile.mkstemp(dir=path.parent, prefix=".staging-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(staging, path)
    except OSError as exc:
        logger.warning("could not keep the word table in %s (%s)", path.parent, exc)
