"""Extractive answers: the best sentences of the retrieved passages, quoted with [n] citations."""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from wordfreq import zipf_frequency

from qa.answer.citations import PageLocator, cite
from qa.answer.sentences import Sentence, split_sentences
from qa.encoder import Encoder
from qa.retrieval.dedup import collapse_near_duplicates
from qa.retrieval.fields import file_words, stem_words, tokenize_for_bm25, words
from qa.settings import Settings
from qa.types import (
    CAPTION,
    FIGURE,
    PARAGRAPH,
    TABLE,
    Answer,
    Chunk,
    Hit,
    row_text,
    table_rows,
)

logger = logging.getLogger(__name__)

# Evidence = DENSE_WEIGHT * cosine + LEXICAL_WEIGHT * question-word coverage - EVIDENCE_SHIFT.
# Fitted with MiniLM on the 2020 white paper dev set: every answerable question's best sentence
# scored >= 0.42 before the shift, off-topic questions <= 0.35; the shift puts the default
# min_evidence (0.35) inside that gap. The rank prior only orders sentences; it is not evidence.
DENSE_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.4
EVIDENCE_SHIFT = 0.03
PRIOR_WEIGHT = 0.05
# Further sentences must come close to the best one, or the answer drifts off topic.
RELATIVE_CUTOFF = 0.8
# Sentences shorter than this many words are headings or fragments, never answers on their own.
MIN_WORDS = 4
# A line without a full stop, this short and with fewer lower-case words than this share, is a
# heading ("Civilian Control of the Military"), never an answer.
HEADING_MAX_WORDS = 15
HEADING_LOWER_SHARE = 0.5
# Prose says what a chart or caption only labels: in the ranking (not the evidence), the
# label text of a figure or caption counts for less than a sentence.
LABEL_TEXT_WEIGHT = 0.75
# Longer label text is a diagram's words in layout order, never a readable quote.
LABEL_TEXT_MAX_WORDS = 40
# A table row is quoted as ``row_text`` (its cells in order); several rows by the ellipsis.
ROW_JOINER = " ... "
CLOSEST_SHOWN = 3
BORROWED_WEIGHT = 0.3
# Encoding sentences dominates answer time; only the most promising ones by words and rank are
# embedded, and vectors are remembered because follow-up questions revisit the same passages.
MAX_ENCODED = 16
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
_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’)\]]*$")
# Names and codes in a question: capitalised words past the first, and words with digits.
# A number keeps its decimal point ("Reform 2.0"): split, its digits would match any figure.
_NAME = re.compile(r"\b(?:[A-Z][\w\-]*|[\w\-]*\d(?:[.,]\d|[\w\-])*)")
# A question names what it is about ("Turkey", "Leopard 2A8"); when the best passages mention
# few of those names, they are about something else, however close the wording. Fitted on the
# unanswerable dev questions: they cover at most 0.43 of their names, answerable ones 0.67+.
NAMED_PASSAGES = 3


@dataclass(frozen=True)
class Unit:
    """What an answer can quote from a passage: a sentence, or one row of a table.

    ``sentence.text`` is the quote (a table row's ``row_text``);
    ``scored`` is the text matched against the question (a row with its header and title);
    ``row`` is the row's index among the table's rows (header = 0), None for sentences.
    """

    sentence: Sentence
    scored: str
    row: int | None = None


def passage_units(chunk: Chunk) -> list[Unit]:
    """The quotable units of ``chunk``: its sentences, or a table's body rows."""
    if chunk.kind == TABLE:
        rows = table_rows(chunk.text)
        if rows:
            title = chunk.text.partition("\n|")[0] if not chunk.text.startswith("|") else ""
            header = rows[0]
            units = []
            for i, row in enumerate(rows[1:] or rows, start=1 if len(rows) > 1 else 0):
                text = row_text(row)
                if not text:
                    continue
                labelled = "; ".join(
                    f"{h} {c}".strip() for h, c in zip(header, row, strict=False) if c
                )
                scored = f"{title} {labelled}".strip() if i else f"{title} {text}".strip()
                units.append(Unit(Sentence(text, 0, len(text)), scored, i))
            return units
    sentences = split_sentences(chunk.text)
    if chunk.kind == FIGURE and chunk.block_label and sentences:
        first = sentences[0]
        if first.text.startswith(chunk.block_label):
            # The label names the figure in the citation; it is no part of a quote.
            cut = len(chunk.block_label)
            rest = first.text[cut:].lstrip()
            start = first.end - len(rest)
            sentences[0] = Sentence(rest, start, first.end) if rest else first
    return [Unit(s, s.text) for s in sentences]


@dataclass(frozen=True)
class ScoredSentence:
    """A candidate sentence from ``hits[passage]``; ``index`` is its position in that passage;
    ``row`` is set when the sentence is a table row (see ``Unit``)."""

    passage: int
    index: int
    sentence: Sentence
    dense: float
    lexical: float
    evidence: float
    score: float
    row: int | None = None


@lru_cache(maxsize=65536)
def _term_weight(word: str) -> float:
    """Rarity of a word in general English: 0 for the commonest, 8 for unknown words and codes."""
    return max(0.0, 8.0 - zipf_frequency(word, "en"))


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
    terms: dict[str, float], text: str, context: frozenset[str] = frozenset()
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
    return sum(w for t, w in terms.items() if t in present) / total


def evidence_scores(dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
    """Calibrated evidence in [0, 1] per sentence.

    ``dense``: (n,) float32 cosine similarities of sentences to the question.
    ``lexical``: (n,) float weighted question-term coverage in [0, 1].
    Returns (n,) float64; about 0.35 and above means the sentence addresses the question.
    """
    raw = DENSE_WEIGHT * np.clip(dense.astype(np.float64), 0.0, 1.0) + LEXICAL_WEIGHT * lexical
    return np.clip(raw - EVIDENCE_SHIFT, 0.0, 1.0)


def rank_prior(ranks: np.ndarray) -> np.ndarray:
    """(n,) int 0-based passage ranks -> (n,) float64 prior in (0, 1], 1 for the top passage."""
    return 1.0 / (1.0 + ranks.astype(np.float64))


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


def _is_candidate(sentence: Sentence) -> bool:
    words = _WORD.findall(sentence.text)
    return len(words) >= MIN_WORDS and sum(w.isalpha() for w in words) >= MIN_WORDS - 1


def _is_heading(text: str) -> bool:
    """A short title-case line without a full stop: a heading that leads a chunk's text."""
    words = _WORD.findall(text)
    lower = sum(w[0].islower() for w in words)
    return (
        len(words) <= HEADING_MAX_WORDS
        and not _SENTENCE_END.search(text)
        and lower < HEADING_LOWER_SHARE * len(words)
    )


def _is_quotable(chunk: Chunk, unit: Unit) -> bool:
    if unit.row is not None:
        return True
    if not _is_candidate(unit.sentence):
        return False
    if chunk.kind == PARAGRAPH and _is_heading(unit.sentence.text):
        return False
    labelled = chunk.kind in (FIGURE, CAPTION)
    return not labelled or len(unit.sentence.text.split()) <= LABEL_TEXT_MAX_WORDS


def _document_stems(hit: Hit) -> frozenset[str]:
    words = f"{hit.chunk.title} {file_words(hit.chunk.source)}"
    return frozenset(tokenize_for_bm25([words])[0])


def score_sentences(
    question: str,
    hits: Sequence[Hit],
    encoder: Encoder,
    settings: Settings,
    *,
    query_vector: np.ndarray | None = None,
    own_words: Sequence[str] | None = None,
) -> list[ScoredSentence]:
    """Candidate sentences of the top ``settings.answer_passages`` hits, best first.

    At most ``MAX_ENCODED`` candidates (the best by question-word overlap and passage rank) are
    embedded, in at most one ``encoder.encode`` call for those not already cached (the question
    joins that batch unless ``query_vector`` is given).
    """
    passages = hits[: settings.answer_passages]
    candidates: list[tuple[int, int, Unit]] = []
    for p, hit in enumerate(passages):
        for i, unit in enumerate(passage_units(hit.chunk)):
            if _is_quotable(hit.chunk, unit):
                candidates.append((p, i, unit))
    if not candidates:
        return []
    terms = question_terms(question, own_words)
    headers = [_document_stems(hit) for hit in passages]
    lexical = np.array([lexical_overlap(terms, u.scored, headers[p]) for p, _, u in candidates])
    prior = rank_prior(np.array([p for p, _, _ in candidates]))
    if len(candidates) > MAX_ENCODED:
        promise = LEXICAL_WEIGHT * lexical + PRIOR_WEIGHT * prior
        chosen = np.sort(np.argsort(-promise, kind="stable")[:MAX_ENCODED])
        candidates = [candidates[i] for i in chosen]
        lexical, prior = lexical[chosen], prior[chosen]
    texts = [u.scored for _, _, u in candidates]
    if query_vector is None:
        vectors = _CACHE.encode(encoder, [question, *texts])
        query, vectors = vectors[0], vectors[1:]
    else:
        query = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        vectors = _CACHE.encode(encoder, texts)
    dense = vectors @ query
    evidence = evidence_scores(dense, lexical)
    labels = np.array(
        [passages[p].chunk.kind in (FIGURE, CAPTION) for p, _, _ in candidates], dtype=bool
    )
    score = np.where(labels, LABEL_TEXT_WEIGHT * evidence, evidence) + PRIOR_WEIGHT * prior
    scored = [
        ScoredSentence(p, i, u.sentence, float(d), float(lx), float(e), float(sc), u.row)
        for (p, i, u), d, lx, e, sc in zip(candidates, dense, lexical, evidence, score, strict=True)
    ]
    scored.sort(key=lambda c: (-c.score, c.passage, c.index))
    return scored


def named_terms(question: str) -> frozenset[str]:
    """Stemmed names and codes in ``question`` (its first word is capitalised by grammar)."""
    body = question.strip()
    first = _WORD.match(body)
    if first is not None:
        body = body[first.end() :]
    return frozenset(tokenize_for_bm25([" ".join(_NAME.findall(body))])[0])


def named_coverage(question: str, hits: Sequence[Hit]) -> float:
    """Share of the question's names found in the top passages or their document names, [0, 1].

    1.0 when the question names nothing.
    """
    names = named_terms(question)
    if not names:
        return 1.0
    present: set[str] = set()
    for hit in hits[:NAMED_PASSAGES]:
        present.update(tokenize_for_bm25([hit.chunk.text])[0])
        present.update(_document_stems(hit))
    return len(names & present) / len(names)


def best_evidence(scored: Sequence[ScoredSentence]) -> float:
    """The strongest evidence any candidate sentence gives (0 when there is none)."""
    return max((s.evidence for s in scored), default=0.0)


def _select(scored: Sequence[ScoredSentence], settings: Settings) -> list[ScoredSentence]:
    """Up to ``answer_sentences`` distinct sentences with enough evidence, near the best score."""
    enough = [s for s in scored if s.evidence >= settings.min_evidence]
    if not enough:
        enough = [max(scored, key=lambda s: s.evidence)]
    strong = [s for s in enough if s.score >= RELATIVE_CUTOFF * enough[0].score]
    keep = collapse_near_duplicates([s.sentence.text for s in strong], settings.dedup_overlap)
    return [strong[i] for i in keep][: settings.answer_sentences]


def _quote(text: str, chosen: Sequence[ScoredSentence]) -> str:
    """One verbatim quote for a passage: the span of adjacent chosen sentences, else the best;
    a table's chosen rows in order, joined by ``ROW_JOINER``."""
    ordered = sorted(chosen, key=lambda s: s.index)
    if ordered[0].row is not None:
        return ROW_JOINER.join(s.sentence.text for s in ordered)
    if ordered[-1].index - ordered[0].index == len(ordered) - 1:
        return text[ordered[0].sentence.start : ordered[-1].sentence.end]
    return max(chosen, key=lambda s: s.score).sentence.text


def _answer_found(
    question: str,
    hits: Sequence[Hit],
    chosen: Sequence[ScoredSentence],
    locate: PageLocator | None,
) -> Answer:
    # Passages in the order of their best sentence; sentences in reading order inside each.
    by_passage: dict[int, list[ScoredSentence]] = {}
    for s in chosen:
        by_passage.setdefault(s.passage, []).append(s)
    parts: list[str] = []
    citations = []
    for n, (p, sentences) in enumerate(by_passage.items(), start=1):
        hit = hits[p]
        in_order = sorted(sentences, key=lambda s: s.index)
        joiner = ROW_JOINER if in_order[0].row is not None else " "
        parts.append(joiner.join(s.sentence.text for s in in_order) + f" [{n}]")
        rows = [s.row for s in in_order if s.row is not None]
        citations.append(cite(n, hit, _quote(hit.chunk.text, in_order), locate, rows))
    return Answer(question, " ".join(parts), tuple(citations), True, tuple(hits))


def _answer_not_found(
    question: str,
    hits: Sequence[Hit],
    scored: Sequence[ScoredSentence],
    locate: PageLocator | None,
) -> Answer:
    best_in_passage: dict[int, ScoredSentence] = {}
    for s in scored:
        best_in_passage.setdefault(s.passage, s)
    shown = list(best_in_passage.values())[:CLOSEST_SHOWN]
    if not shown:
        text = "The indexed documents do not appear to answer this question."
        return Answer(question, text, (), False, tuple(hits))
    citations = [
        cite(n, hits[s.passage], s.sentence.text, locate, [s.row] if s.row is not None else [])
        for n, s in enumerate(shown, start=1)
    ]
    lines = [f"- {c.label}: “{c.quote}” [{c.n}]" for c in citations]
    text = (
        "The indexed documents do not appear to answer this question. "
        "The closest passages are:\n" + "\n".join(lines)
    )
    return Answer(question, text, tuple(citations), False, tuple(hits))


def extractive_answer(
    question: str,
    hits: Sequence[Hit],
    encoder: Encoder,
    settings: Settings,
    *,
    query_vector: np.ndarray | None = None,
    locate: PageLocator | None = None,
    own_words: Sequence[str] | None = None,
) -> Answer:
    """Answer with the best-scoring sentences of the top passages, each group cited ``[n]``.

    ``found`` is False when no sentence reaches ``settings.min_evidence``, or when the top
    passages mention too few of the names the question asks about
    (``settings.min_named_coverage``); the text then says so and lists the closest passages,
    still cited. ``locate`` narrows each citation to the page its quote sits on; ``own_words``
    marks the words a follow-up asked itself (see ``question_terms``).
    """
    scored = score_sentences(
        question, hits, encoder, settings, query_vector=query_vector, own_words=own_words
    )
    evidence = best_evidence(scored)
    coverage = named_coverage(question, hits)
    logger.debug("best evidence %.3f, names covered %.2f for %r", evidence, coverage, question)
    if evidence < settings.min_evidence or coverage < settings.min_named_coverage:
        return _answer_not_found(question, hits, scored, locate)
    return _answer_found(question, hits, _select(scored, settings), locate)
