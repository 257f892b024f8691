"""What each retriever reads for a chunk: the BM25 text and the text the embedding model reads.

The document title and file name are part of both views so that a question naming an edition or
a country ("in the 2018 white paper", "Japan's defense strategy") favours that document's chunks.
"""

from __future__ import annotations

from functools import lru_cache

from qa.text.frequency import zipf
from qa.text.words import WORD_TOKEN, file_words
from qa.types import Chunk

# Bump when lexical_text or tokenize_for_bm25 change what a chunk or query turns into: saved BM25
# files from older rules must be rebuilt, not searched with new query tokens.
FIELDS_VERSION = 4


def _section(chunk: Chunk) -> str:
    """The section heading unless the chunk already opens with it (no need to say it twice)."""
    if chunk.section and chunk.section not in chunk.text[: len(chunk.section) + 20]:
        return chunk.section
    return ""


DOCUMENT_REPEAT = 4
# A rare word made of two common ones ("southkorea", "Whitepaper") is split so that a question
# written the usual way ("South Korea's white paper") still matches the document's name.
_COMPOUND_MIN_CHARS = 7
_COMPOUND_MAX_ZIPF = 3.0
_PART_MIN_ZIPF = 4.0


@lru_cache(maxsize=4096)
def _split_compound(word: str) -> str:
    """``southkorea`` -> ``south korea``; other words -> ``""``."""
    lower = word.lower()
    if len(lower) < _COMPOUND_MIN_CHARS or not lower.isalpha():
        return ""
    if zipf(lower) >= _COMPOUND_MAX_ZIPF:
        return ""
    best, best_score = "", _PART_MIN_ZIPF
    for cut in range(3, len(lower) - 2):
        head, tail = lower[:cut], lower[cut:]
        score = min(zipf(head), zipf(tail))
        if score >= best_score:
            best, best_score = f"{head} {tail}", score
    return best


def document_words(chunk: Chunk) -> str:
    """The chunk's title and file name words, plus the parts of compound words in them."""
    return _document_words(chunk.title, chunk.source)


@lru_cache(maxsize=4096)
def _document_words(title: str, source: str | None) -> str:
    # Every chunk of a document asks the same: once per document, not per chunk.
    named = " ".join(p for p in (title, file_words(source)) if p)
    unique = dict.fromkeys(WORD_TOKEN.findall(named.lower()))
    parts = " ".join(filter(None, (_split_compound(w) for w in unique)))
    return f"{named} {parts}".strip()


def lexical_text(chunk: Chunk) -> str:
    """Title and file name words (repeated, to weigh as a field), section, then the chunk text.

    Once, the document's name is a few words against ~150 of text and loses to other documents
    that discuss the named country; four times, a question naming the document favours it
    (dev-multi, BM25 alone: answer chunk first for 13/25 questions instead of 9/25).
    """
    named = document_words(chunk)
    header = " | ".join(p for p in (" ".join([named] * DOCUMENT_REPEAT), _section(chunk)) if p)
    return _with_glossary(f"{header}\n{chunk.text}" if header else chunk.text, chunk)


def dense_text(chunk: Chunk) -> str:
    """Title and section ahead of the chunk text, for the embedding model.

    The file name is left out: its joined words ("DefenseWhitePaper") add word pieces the model
    reads as noise, and the title already names the document.
    """
    header = " — ".join(p for p in (chunk.title, _section(chunk)) if p)
    return _with_glossary(f"{header}\n{chunk.text}" if header else chunk.text, chunk)


def _with_glossary(text: str, chunk: Chunk) -> str:
    """``text`` then the long forms of the chunk's acronyms: a question in full words ("guard
    posts") finds a passage that only says "GPs"."""
    return f"{text}\n{'; '.join(chunk.glossary)}" if chunk.glossary else text
