"""Words of a text as the searches and the answer scorer compare them.

``words`` (lower-cased, stop words dropped, British and American spellings met), their Snowball
stems, BM25 tokens (both at once), and the words of a file name or a document's id and title.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import PurePath

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from qa.text import name_words

# Numbers keep their inner separators ("46.7", "625,000") so figures stay searchable as one token.
WORD_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
_STOPWORDS = frozenset(STOPWORDS_EN)
# A word of a name or a question naming a document; an inner apostrophe stays ("Korea's").
NAME_TOKEN = re.compile(r"[^\W_]+(?:[’'][^\W_]+)?")


def file_words(source: str | None) -> str:
    """``japan_2022_NationalDefenseStrategy.txt`` -> ``japan 2022 National Defense Strategy``."""
    if not source:
        return ""
    return " ".join(name_words(PurePath(source).stem))


# Every question with a year reads every title: 30 ms at 672 documents without the cache.
@lru_cache(maxsize=8192)
def title_words(doc_id: str, title: str) -> frozenset[str]:
    """Lower-cased words of a document's id and title, camel case and underscores split:
    ``southkorea_2018_DefenseWhitePaper`` -> southkorea, 2018, defense, white, paper."""
    text = " ".join(name_words(f"{doc_id} {title}"))
    return frozenset(w.lower() for w in NAME_TOKEN.findall(text))


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


# British and American spellings meet: the collection mixes "defence" and "defense" papers.
# Both sides go through the same rewrite, so an odd result ("exercize") still matches itself.
_SPELLING = (
    (re.compile(r"(?<=[a-z]{3})is(e|ed|es|ing|ation|ations)$"), r"iz\1"),  # mobilise
    (re.compile(r"(?<=[a-z]{2})ys(e|ed|es|ing)$"), r"yz\1"),  # analyse
    (re.compile(r"(?<=[a-z]{3})our(s|ed|ing|able|ably|ite|ites|ful)?$"), r"or\1"),  # labour
    (re.compile(r"(?<=[a-z]{2})tre(s|d)?$"), r"ter\1"),  # centre, metre
)
# "-ence" is American too ("evidence"); only these few differ.
_ENCE_WORDS = frozenset({"defence", "offence", "licence", "pretence"})


@lru_cache(maxsize=200_000)
def _normalise(token: str) -> str:
    # "625,000" and "625000" are the same figure; the decimal point carries meaning and stays.
    if token[0].isdigit():
        return token.replace(",", "")
    if token in _ENCE_WORDS:
        return token[:-3] + "nse"
    for pattern, replacement in _SPELLING:
        token = pattern.sub(replacement, token)
    return token


def words(text: str) -> list[str]:
    """Lower-cased words and numbers of ``text`` before stemming, stop words removed."""
    return [
        _normalise(w)
        for w in WORD_TOKEN.findall(text.lower())
        if w not in _STOPWORDS and (len(w) > 1 or w.isdigit())
    ]


def stem_words(plain: Sequence[str]) -> list[str]:
    """Snowball English stems, one per word."""
    return _stemmer().stemWords(plain)


def tokenize_for_bm25(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, Snowball-stemmed tokens per text (bm25s takes lists of str)."""
    return [stem_words(words(text)) for text in texts]
