"""What each retriever reads for a chunk, and the one tokenizer BM25 uses for chunks and queries.

The document title and file name are part of both views so that a question naming an edition or
a country ("in the 2018 white paper", "Japan's defense strategy") favours that document's chunks.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import PurePath

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from qa.types import Chunk

logger = logging.getLogger(__name__)

# Numbers keep their inner separators ("46.7", "625,000") so figures stay searchable as one token.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_STOPWORDS = frozenset(STOPWORDS_EN)


def file_words(source: str | None) -> str:
    """``japan_2022_NationalDefenseStrategy.txt`` -> ``japan 2022 National Defense Strategy``."""
    if not source:
        return ""
    stem = PurePath(source).stem
    return " ".join(_CAMEL.sub(" ", part) for part in re.split(r"[_\-\s.]+", stem) if part)


def _section(chunk: Chunk) -> str:
    """The section heading unless the chunk already opens with it (no need to say it twice)."""
    if chunk.section and chunk.section not in chunk.text[: len(chunk.section) + 20]:
        return chunk.section
    return ""


def lexical_text(chunk: Chunk) -> str:
    """Title, file name words and section ahead of the chunk text, for BM25."""
    header = " | ".join(p for p in (chunk.title, file_words(chunk.source), _section(chunk)) if p)
    return f"{header}\n{chunk.text}"


def dense_text(chunk: Chunk) -> str:
    """Title and section ahead of the chunk text, for the embedding model.

    The file name is left out: its joined words ("DefenseWhitePaper") add word pieces the model
    reads as noise, and the title already names the document.
    """
    header = " — ".join(p for p in (chunk.title, _section(chunk)) if p)
    return f"{header}\n{chunk.text}" if header else chunk.text


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _normalise(token: str) -> str:
    # "625,000" and "625000" are the same figure; the decimal point carries meaning and stays.
    return token.replace(",", "") if token[0].isdigit() else token


def words(text: str) -> list[str]:
    """Lower-cased words and numbers of ``text`` before stemming, stop words removed."""
    return [
        _normalise(w)
        for w in _TOKEN.findall(text.lower())
        if w not in _STOPWORDS and (len(w) > 1 or w.isdigit())
    ]


def stem_words(plain: Sequence[str]) -> list[str]:
    """Snowball English stems, one per word."""
    return _stemmer().stemWords(plain)


def tokenize_for_bm25(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, Snowball-stemmed tokens per text (bm25s takes lists of str)."""
    return [stem_words(words(text)) for text in texts]
