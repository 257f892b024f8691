"""The candidate short answers of a quoted sentence: its typed phrases (figures with what they
count, dates, durations, names, purposes, enumerations), its runs of words the question does
not already say, its clauses, and every other whole-word window of up to ``SHORT_MAX_WORDS``
words inside one table cell or clause. Also the word-level helpers the hand-set choice
(``qa.answer.rule_choice``) and the phrase features (``qa.answer.phrase_features``) share.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.answer.question import Expect, QuestionAnalysis
from qa.answer.spans import Span, spans_of, typed_spans
from qa.text import word_set
from qa.text.words import stem_words, words

# "240,000 tons | of nutrition aid": what a figure is of, up to a few words.
_OF_PHRASE = re.compile(r"\s+of\s+(?:[\w’'\-]+\s+){0,2}[\w’'\-]+")
_OF_STOP = re.compile(r"\b(?:and|or|in|to|for|by|from|on|at|with|as|the|which|that)\b")
# A word, a figure with its thousands ("500,000") or a word with its bracketed gloss.
TOKEN = re.compile(r"[\w’'\-.%]+(?:,\d[\w’'\-.%]*)*(?:\s*\([^()]{1,40}\))?")
# Words a new run may contain but neither start nor end with.
GLUE = word_set(
    "a an the of in on at by for to from with and or as into its their his her this that these "
    "those is are was were be been being which who whom whose while than"
)
# Kinds never answered by words: a question after one only takes phrases holding one.
MEASURED = (Expect.NUMBER, Expect.DATE, Expect.DURATION)
RUN_MAX_WORDS = 16
# The typed phrases that are candidates (and, one feature each, kinds of phrase).
KINDS = (Expect.NUMBER, Expect.DATE, Expect.DURATION, Expect.PERSON, Expect.NAME, Expect.REASON)
# Longer answers are quoted, not shortened: a short answer is a phrase of up to this many words.
SHORT_MAX_WORDS = 12
# A short answer never spans a table's cells or rows, a semicolon or a colon.
_SEGMENT_BREAK = re.compile(r"\s*(?:;|:|\.\.\.|…)\s+")
# Words a phrase may open with among the glue words ("the highest body", "from 39 to 33").
_OPENERS = word_set("a an the from to within between its their his her this these those")


def stems(text: str) -> set[str]:
    return set(stem_words(words(text)))


def extended(sentence: str, span: Span) -> str:
    """A figure with what it counts: ``240,000 tons`` -> ``240,000 tons of nutrition aid``."""
    match = _OF_PHRASE.match(sentence, span.end)
    if match is None or span.kind is not Expect.NUMBER:
        return span.text
    tail = match.group(0)
    stop = _OF_STOP.search(tail, len(" of "))
    if stop is not None:
        tail = tail[: stop.start()]
    if len(tail.split()) < 2:  # "45% of | the minimum wage": no bare "of" at the end
        return span.text
    return sentence[span.start : span.end + len(tail.rstrip())].rstrip(" ,")


def asked_positions(asked: set[str], sentence: str) -> list[int]:
    """Character offsets of the words of ``sentence`` that the question also uses."""
    return [
        m.start()
        for m in TOKEN.finditer(sentence)
        if m.group(0).lower() not in GLUE and stems(m.group(0)) & asked
    ]


def closeness(start: int, end: int, matches: list[int]) -> float:
    """How near a phrase sits to the question's words in the sentence (higher is nearer)."""
    return sum(1.0 / (1.0 + abs(m - (start if m < start else end)) / 20) for m in matches)


def new_runs(asked: set[str], sentence: str) -> list[tuple[int, int, int]]:
    """Runs of ``sentence`` whose content words the question does not use, as (content words,
    start, end) character offsets, trimmed of glue words at both ends."""
    tokens = list(TOKEN.finditer(sentence))
    runs = []
    start = None
    content = 0
    for i, token in enumerate([*tokens, None]):
        word = token.group(0).lower() if token is not None else ""
        new = token is not None and (word in GLUE or not stems(word) & asked)
        if new and content < RUN_MAX_WORDS:
            if start is None:
                start, content = i, 0
            content += word not in GLUE
            continue
        if start is not None:
            last = i - 1
            while last > start and tokens[last].group(0).lower() in GLUE:
                last -= 1
            first = start
            while first < last and tokens[first].group(0).lower() in GLUE - {"to"}:
                first += 1
            if content:
                runs.append((content, tokens[first].start(), tokens[last].end()))
            start = None
    return runs


@dataclass(frozen=True)
class Phrase:
    """``sentence[start:end]`` of the quoted sentence: a typed phrase of ``kind``, or (kind
    None) a run of words the question does not say, a clause, or any other whole-word window
    of up to ``SHORT_MAX_WORDS`` words within one cell or clause of the sentence (``source``
    says which)."""

    start: int
    end: int
    text: str
    kind: Expect | None
    source: str = "window"


def _in_word(char: str) -> bool:
    # A hyphen joins a compound ("mid-2015", "co-operation"): cutting there halves a word.
    return char.isalnum() or char == "-"


def _token_aligned(sentence: str, start: int, end: int) -> bool:
    """Whether ``sentence[start:end]`` starts and ends on word boundaries."""
    before = sentence[start - 1] if start > 0 else " "
    after = sentence[end] if end < len(sentence) else " "
    inside = sentence[start:end]
    # "500,000": the comma between digits is inside the figure.
    if start > 1 and before == "," and sentence[start - 2].isdigit() and inside[:1].isdigit():
        return False
    if after == "," and sentence[end + 1 : end + 2].isdigit() and inside[-1:].isdigit():
        return False
    return bool(inside.strip()) and not (
        (_in_word(before) and _in_word(inside[0])) or (_in_word(after) and _in_word(inside[-1]))
    )


# Where a clause of a sentence ends: punctuation, or a word that opens another clause.
_CLAUSE_END = re.compile(
    r"[,;:()]\s*|\s(?=(?:and|or|but|while|whereas|which|who|whom|where|when|because|as|"
    r"through|by|to|in order to)\s)"
)


def _clauses(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of the sentence's clauses and of each pair of neighbouring clauses, trimmed
    of glue words, up to ``RUN_MAX_WORDS`` words: the phrase answering a "what"/"how" question
    is often one clause ("with the least damage within the shortest time")."""
    cuts = [0, *(m.end() for m in _CLAUSE_END.finditer(sentence)), len(sentence)]
    pieces = [(a, b) for a, b in itertools.pairwise(cuts) if sentence[a:b].strip(" ,;:.()")]
    spans = [*pieces, *((a[0], b[1]) for a, b in itertools.pairwise(pieces))]
    out = []
    for start, end in spans:
        tokens = list(TOKEN.finditer(sentence, start, end))
        while tokens and tokens[-1].group(0).lower() in GLUE:
            tokens.pop()
        while tokens and tokens[0].group(0).lower() in GLUE - {"to"}:
            tokens.pop(0)
        if tokens and len(tokens) <= RUN_MAX_WORDS:
            out.append((tokens[0].start(), tokens[-1].end()))
    return out


def sentence_segments(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of the sentence's cells: the pieces between ``_SEGMENT_BREAK``s."""
    cuts = [(m.start(), m.end()) for m in _SEGMENT_BREAK.finditer(sentence)]
    starts = [0, *(b for _, b in cuts)]
    ends = [*(a for a, _ in cuts), len(sentence)]
    return list(zip(starts, ends, strict=True))


def _windows(sentence: str, segments: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start, end) of every run of up to ``SHORT_MAX_WORDS`` whole words inside one of the
    sentence's ``segments`` that neither opens nor ends on a glue word (bar ``_OPENERS`` at
    the start)."""
    out = []
    for seg_start, seg_end in segments:
        tokens = list(TOKEN.finditer(sentence, seg_start, seg_end))
        lowered = [t.group(0).lower().rstrip(".") for t in tokens]
        for i, first in enumerate(lowered):
            if first in GLUE and first not in _OPENERS:
                continue
            for j in range(i, min(i + SHORT_MAX_WORDS, len(tokens))):
                if lowered[j] not in GLUE:
                    out.append((tokens[i].start(), tokens[j].end()))
    return out


def phrases(analysis: QuestionAnalysis, question: str, sentence: str) -> list[Phrase]:
    """The candidate short answers of ``sentence``: typed phrases (a figure with what it is
    of), runs of new words, clauses and the other whole-word windows, each a whole phrase.
    A question after a figure, a date or a duration only takes phrases holding one."""
    asked = stems(question)
    segments = sentence_segments(sentence)
    found: dict[tuple[int, int], Phrase] = {}
    spans = [s for s in typed_spans(sentence) if s.kind in KINDS]
    if analysis.expect is Expect.LIST:
        spans += spans_of(sentence, Expect.LIST)
    for span in spans:
        text = extended(sentence, span)
        end = span.start + len(text)
        found.setdefault((span.start, end), Phrase(span.start, end, text, span.kind, "typed"))
    sources = [
        *((start, end, "run") for _, start, end in new_runs(asked, sentence)),
        *((start, end, "clause") for start, end in _clauses(sentence)),
        *((start, end, "window") for start, end in _windows(sentence, segments)),
    ]
    for start, end, source in sources:
        text = sentence[start:end].rstrip(" ,;:.")
        key = (start, start + len(text))
        found.setdefault(key, Phrase(start, start + len(text), text, None, source))
    measured = analysis.expect in MEASURED
    asked_kind = [s for s in spans if s.kind is analysis.expect]
    return [
        p
        for p in found.values()
        if p.text
        and any(a <= p.start and p.end <= b for a, b in segments)
        and len(p.text.split()) <= max(RUN_MAX_WORDS, SHORT_MAX_WORDS)
        # The whole sentence is the quote, not a short answer.
        and p.text != sentence.strip().rstrip(" ,;:.")
        and _token_aligned(sentence, p.start, p.end)
        # Words are never the answer to "how many" or "when": only a phrase holding a figure,
        # date or duration is.
        and (not measured or any(p.start <= s.start and s.end <= p.end for s in asked_kind))
    ]
