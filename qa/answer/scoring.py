"""How well each quotable unit of the retrieved passages answers the question.

The candidates' features (``qa.answer.features``) go through the answer model
(``qa.answer.model``): its prefilter chooses the promising candidates to embed, its ranker
orders them. The helpers here are the word-level measures those features are made of:
question-term weights and overlap, the asked-for kind of phrase, the words around it, the thing
a figure counts, the years named.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from qa.answer.question import Expect, QuestionAnalysis
from qa.answer.spans import Span, counts, spans_of
from qa.encoder import Encoder
from qa.text import YEAR
from qa.text.acronyms import spelled_out
from qa.text.frequency import zipf
from qa.text.words import file_words, stem_words, tokenize_for_bm25, words
from qa.types import Hit

BORROWED_WEIGHT = 0.3
# A name the question asks about, found only elsewhere in the sentence's passage, counts this
# much: the sentence may say "300,000 personnel have been cut" in a passage about the PLA.
PASSAGE_CONTEXT_WEIGHT = 0.5
FOCUS_BEFORE = 100  # characters of context before an answer phrase ...
FOCUS_AFTER = 40  # ... and after it
# Sentence vectors are remembered because follow-up questions revisit the same passages.
CACHE_SIZE = 8192
# Words that shape a question without saying what it is about.
_QUESTION_WORDS = frozenset(
    tokenize_for_bm25(
        [
            "what which who whom whose when where why how many much does did do is are was "
            "were according say says said describe described mention mentioned state stated "
            "document paper report about regarding concerning"
        ]
    )[0]
)


@lru_cache(maxsize=65536)
def _term_weight(word: str) -> float:
    """Rarity of a word in general English: 0 for the commonest, 8 for unknown words and codes."""
    return max(0.0, 8.0 - zipf(word))


def question_terms(question: str, own_words: Sequence[str] | None = None) -> dict[str, float]:
    """Stemmed content words of ``question`` with an IDF-like weight (general-English rarity).

    Weights use the surface word's frequency so that "KRW" counts far more than "year". With
    ``own_words`` (a follow-up's own words, ``question`` being its resolved query), the words
    borrowed from earlier turns weigh ``BORROWED_WEIGHT`` as much: the answer should be about
    what was just asked, not repeat the previous answer.
    """
    surface = words(question)
    own = set(stem_words(words(" ".join(own_words)))) if own_words is not None else None
    weights: dict[str, float] = {}
    for word, stem in zip(surface, stem_words(surface), strict=True):
        if stem not in _QUESTION_WORDS:
            weight = _term_weight(word)
            if own is not None and stem not in own:
                weight *= BORROWED_WEIGHT
            weights[stem] = max(weights.get(stem, 0.0), weight)
    return weights


def lexical_overlap(
    terms: dict[str, float],
    text: str,
    context: frozenset[str] = frozenset(),
    passage: frozenset[str] = frozenset(),
) -> float:
    """Weighted share of question ``terms`` found in ``text`` or ``context``, in [0, 1].

    ``context`` holds the stems of the passage's title and file name: a question naming the
    document ("Japan's 2022 strategy") should not count those words as missing from every
    sentence of that document.
    """
    total = sum(terms.values())
    if total <= 0:
        return 0.0
    present = context.union(tokenize_for_bm25([text])[0])
    found = sum(w for t, w in terms.items() if t in present)
    around = sum(w for t, w in terms.items() if t in passage and t not in present)
    return (found + PASSAGE_CONTEXT_WEIGHT * around) / total


def _answering_spans(text: str, analysis: QuestionAnalysis) -> list[Span]:
    if analysis.expect is Expect.DESCRIPTION:
        return []
    spans = spans_of(text, analysis.expect)
    if analysis.expect is Expect.DATE:
        # A date or year the question itself names is a constraint, not the answer.
        spans = [s for s in spans if s.text not in analysis.years]
    return spans


def carries(text: str, analysis: QuestionAnalysis) -> bool:
    """Whether ``text`` holds a phrase of the kind the question asks for."""
    return bool(_answering_spans(text, analysis))


def answer_focus(text: str, analysis: QuestionAnalysis, terms: dict[str, float]) -> float:
    """How much of the question surrounds the best asked-for phrase of ``text``, in [0, 1]:
    the weighted question-term coverage of a window around it (0 when there is none).

    An answer phrase usually sits next to the words of the question it answers; a figure at
    the far end of a long sentence about something else is a weaker answer.
    """
    best = 0.0
    for span in _answering_spans(text, analysis):
        window = text[max(0, span.start - FOCUS_BEFORE) : span.end + FOCUS_AFTER]
        best = max(best, lexical_overlap(terms, window))
    return best


def counts_asked(text: str, analysis: QuestionAnalysis) -> bool:
    """Whether a figure in ``text`` counts what the question counts (see ``spans.counts``)."""
    if not analysis.counted:
        return False
    counted = set(stem_words(words(analysis.counted)))
    return any(counts(text, span, counted) for span in _answering_spans(text, analysis))


def year_fit(text: str, analysis: QuestionAnalysis) -> int:
    """+1 when ``text`` names a year the question asks about, -1 when it names only other
    years (the 2021 budget for a question about 2020), 0 when it names none or none is asked."""
    if not analysis.years:
        return 0
    named = set(YEAR.findall(text))
    if not named:
        return 0
    return 1 if named & set(analysis.years) else -1


class _VectorCache:
    """Bounded LRU of sentence vectors keyed by (encoder fingerprint, text); thread-safe."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 vectors; the texts not cached go to the encoder in one call."""
        fingerprint = encoder.fingerprint
        with self._lock:
            known = {t: self._vectors.get((fingerprint, t)) for t in texts}
        missing = list(dict.fromkeys(t for t, v in known.items() if v is None))
        if missing:
            fresh = encoder.encode(missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    known[text] = vector
                    self._vectors[(fingerprint, text)] = vector
                while len(self._vectors) > self._size:
                    self._vectors.popitem(last=False)
        with self._lock:
            for text in texts:
                if (fingerprint, text) in self._vectors:
                    self._vectors.move_to_end((fingerprint, text))
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)


_CACHE = _VectorCache(CACHE_SIZE)


def document_stems(hit: Hit) -> frozenset[str]:
    """Stems of the words naming the hit's document (title and file name)."""
    named = f"{hit.chunk.title} {file_words(hit.chunk.source)}"
    return frozenset(tokenize_for_bm25([named])[0])


def passage_stems(hit: Hit, *, glossary: bool = True) -> frozenset[str]:
    """Stems of the hit's text and (with ``glossary``) of the long forms of its acronyms."""
    return _passage_stems(hit.chunk.text, hit.chunk.glossary if glossary else ())


@lru_cache(maxsize=CACHE_SIZE)
def _passage_stems(text: str, glossary: tuple[str, ...]) -> frozenset[str]:
    # Abstention and scoring both read the top passages, and follow-ups revisit them.
    return frozenset(tokenize_for_bm25([" ".join((text, *glossary))])[0])


def spelled_out_stems(text: str, hit: Hit) -> frozenset[str]:
    """Stems of the long forms of the acronyms ``text`` (a piece of the hit) uses: "GPs"
    stands for "guard posts"."""
    if not hit.chunk.glossary:
        return frozenset()
    return frozenset(tokenize_for_bm25([spelled_out(text, hit.chunk.glossary)])[0])


def similarities(
    encoder: Encoder, question: str, texts: list[str], query_vector: np.ndarray | None
) -> np.ndarray:
    """(len(texts),) float32 cosine of each text to the question, in one encode call for
    the texts not cached (the question joins it unless ``query_vector`` is given)."""
    if query_vector is None:
        vectors = _CACHE.encode(encoder, [question, *texts])
        query, vectors = vectors[0], vectors[1:]
    else:
        query = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        vectors = _CACHE.encode(encoder, texts)
    return vectors @ query
