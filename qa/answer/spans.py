"""Typed phrases inside a sentence: the figures, dates, durations, names and purposes that can
answer a question (see ``qa.answer.question``). Offsets are exact, so a short answer is always
a slice of the quoted sentence, never rewritten text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from qa.answer.question import Expect
from qa.text import YEAR, word_set
from qa.text.words import stem_words, words


@dataclass(frozen=True)
class Span:
    """``text == sentence[start:end]``, a phrase of kind ``kind``."""

    kind: Expect
    start: int
    end: int
    text: str


_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sep\.|Sept\.|Oct\.|Nov\.|Dec\.)"
)
_YEAR = r"(?:1[89]|20)\d{2}"
_DATE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:\s*[-–]\s*\d{{1,2}})?,?\s+{_YEAR}"  # May 29, 2018
    rf"|\d{{1,2}}(?:\s*[-–]\s*\d{{1,2}})?\s+{_MONTH},?\s+{_YEAR}"  # 5 February 2023
    rf"|{_MONTH},?\s+{_YEAR}"  # November 2020
    rf"|(?:FY|fiscal(?: year)?)\s*{_YEAR}"  # FY 2027
    rf"|(?:the )?(?:end|beginning|start|middle) of {_YEAR}"
    rf"|{_YEAR}(?:\s*[-–]\s*{_YEAR})?)\b"
)
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred hundreds thousand thousands dozen dozens half"
)
_TIME_UNITS = r"(?:years?|months?|weeks?|days?|hours?|minutes?|decades?)"
_APPROX = (
    r"(?:(?:more than|over|about|around|approximately|some|nearly|almost|up to|less than|"
    r"at least|close to|roughly|an estimated|a total of|total of|as many as|only|just)\s+)?"
)
_QUANTITY = (
    r"(?:(?:US|NT|A|C|HK)?\$|€|£|¥|\b(?:KRW|USD|EUR|GBP|JPY|CNY|UAH|TRY|NT\$|INR|AUD)\s?)?"
    r"\b\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent\b|per cent\b))?"
    r"(?:\s?(?:trillion|billion|million|thousand|bln|mln|bn)\b)?"
    r"(?:\s?(?:KRW|USD|EUR|UAH|won|dollars|euros|yen|yuan|lira|kcal|kg|kt|km|㎢|km2|t|tons|"
    r"tonnes|m)\b|㎢)?"
)
# "within" makes a duration a limit ("within an hour and a half"), which the answer must keep.
_DURATION = re.compile(
    rf"\b(?:within\s+)?{_APPROX}(?:\d[\d,.]*|(?:{'|'.join(_NUMBER_WORDS.split())})(?:[\s\-]\w+)?|an?)"
    rf"[\s\-]{_TIME_UNITS}(?:\s+and\s+a\s+half)?\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(rf"{_APPROX}{_QUANTITY}")
_SPELLED = re.compile(
    rf"\b{_APPROX}(?:{'|'.join(_NUMBER_WORDS.split())})(?:[\s\-](?:{'|'.join(_NUMBER_WORDS.split())}))*\b",
    re.IGNORECASE,
)
# What a figure counts: up to three words after it ("300,000 personnel", "17 countries").
_COUNTED_AFTER = re.compile(r"\s+((?:[a-z][\w\-]*\s+){0,3}[a-z][\w\-]*)")
_NAME = re.compile(
    r"(?:['‘“\"][A-Z][^'’”\"]{2,60}['’”\"])"  # 'Military Human Rights Guardian'
    r"|\b[A-Z][\w’'\-]*(?:\s+(?:of|and|for|the|de|la)?\s*[A-Z][\w’'\-]*)*"
    r"(?:\s*\([A-Z][A-Za-z]{1,9}\))?"  # Able Response (AR)
)
# A defined term: words followed by their acronym, "performance-based logistics (PBL)".
_DEFINED = re.compile(r"\b((?:[\w’'\-]+\s){1,5})\(([A-Z][A-Za-z]{1,9})\)")
_TITLES = word_set(
    "Minister Secretary General Gen Admiral Adm President Chairman Commander Director Dr Mr "
    "Ms Mrs Prof Lt Col Maj Capt Ambassador Premier Chancellor"
)
_INSTITUTION_WORDS = word_set(
    "Ministry Department Command Forces Force Army Navy Corps Agency Council Committee Group "
    "Unit Center Centre Institute Office Strategy Paper Report Review Plan Republic Korea "
    "Government Assembly Parliament Congress Headquarters HQ Staff Service Services Guard "
    "Agreement Treaty Organization Organisation Alliance Union Nations Defense Defence"
)
# A purpose: "in order to ...", "aimed at ...", or "to" before a verb (not "to the", "to six",
# "to Seoul", "to date").
_REASON = re.compile(
    r"\b(?:in order to|so as to|so that|aim(?:ed|s|ing)? (?:at|to)|with the aim of|for the "
    r"purpose of|designed to|intended to|because|"
    r"to (?!(?:the|a|an|its|their|his|her|this|that|these|those|our|your|date|be|one|two|"
    r"three|four|five|six|seven|eight|nine|ten|and|or|which|whom|what|around|about|over|"
    r"some|more|less|all|each|every|both)\b)(?=[a-z]{3,}\b))[^.;:]*"
)
# How a figure's unit is written ("€", "EUR", "euros"; "%", "per cent"): the units a question
# may ask a figure in ("in euros", "as a share of GDP").
UNIT_PATTERNS: dict[str, re.Pattern[str]] = {
    unit: re.compile(pattern, re.IGNORECASE)
    for unit, pattern in (
        ("euro", r"€|\bEUR\b|\beuros?\b"),
        ("lira", r"₺|\bTRY\b|\blira\b"),
        ("rupee", r"\bPKR\b|\bINR\b|\bRs\.?\s?\d|\brupees?\b"),
        ("won", r"₩|\bKRW\b|\bwon\b"),
        ("yen", r"¥|\bJPY\b|\byen\b"),
        ("dollar", r"\$|\bUSD\b|\bdollars?\b"),
        ("percent", r"%|\bper\s?cent\b"),
    )
}
_SENTENCE_START_WORDS = word_set("The A An This That These Those It In On At As For By With")


def _spans(pattern: re.Pattern[str], kind: Expect, text: str) -> list[Span]:
    found = []
    for match in pattern.finditer(text):
        start, end = match.span()
        piece = text[start:end].rstrip(" ,")
        piece = piece.strip()
        if piece:
            offset = text.index(piece, start)
            found.append(Span(kind, offset, offset + len(piece), piece))
    return found


# Words that end what a figure counts ("300,000 | during the reforms", "8.2% | over 2018").
_NOT_COUNTED = word_set(
    "and or of in to for by from on at with as during over under before after since per each "
    "the a an this that these those its their is are was were be been will would has have had "
    "than which who whom whose while until into onto about against between among within"
)


def _with_counted(text: str, span: Span) -> Span:
    """``300,000`` -> ``300,000 personnel`` when a plain noun follows the figure."""
    match = _COUNTED_AFTER.match(text, span.end)
    if match is None or span.text.endswith("%"):
        return span
    kept: list[str] = []
    for word in match.group(1).split()[:3]:
        if word in _NOT_COUNTED:
            break
        kept.append(word)
    if not kept:
        return span
    end = text.index(kept[-1], span.end) + len(kept[-1])
    return Span(span.kind, span.start, end, text[span.start : end])


def counted_words(span: Span) -> str:
    """What a figure names after its quantity: "volunteer reservists" of "about 6,000
    volunteer reservists" ("" for a bare figure)."""
    match = _NUMBER.match(span.text)
    return span.text[match.end() :].strip() if match else ""


_APPROX_WORDS = re.compile(rf"^{_APPROX}", re.IGNORECASE)


def _is_year_only(span: Span) -> bool:
    bare = _APPROX_WORDS.sub("", span.text)
    return re.fullmatch(rf"{_YEAR}", bare) is not None


def _people(names: list[Span]) -> list[Span]:
    """Within each name, its last run of two or more personal words: "Minister of National
    Defense Suh Wook" -> "Suh Wook"; titles and institution words are not personal."""
    people = []
    for span in names:
        words = list(re.finditer(r"\w[\w’'\-.]*\w|\w", span.text))
        run: list[re.Match[str]] = []
        for word in words:
            bare = word.group(0).strip(".,")
            if bare in _INSTITUTION_WORDS or bare in _TITLES or not bare[:1].isupper():
                run = []
            else:
                run.append(word)
        if len(run) >= 2:
            start, end = span.start + run[0].start(), span.start + run[-1].end()
            people.append(
                Span(Expect.PERSON, start, end, span.text[run[0].start() : run[-1].end()])
            )
    return people


# "4.1 Kenya's Defence Forces ...", "(2) developing ...": the numbering of a paragraph or item.
_NUMBERING = re.compile(r"^\s*(?:\(?\d+(?:\.\d+)*[.)]?|[ivx]+\))\s+(?=[A-Z(])")


# A number right after one of these names a thing ("Type 32 frigates", "Act No 44 of 2016",
# "Article 241", "Block III"): a designation, not a quantity.
_DESIGNATOR = re.compile(
    r"\b(?:type|class|block|batch|flight|mark|mk|model|no|nos|number|article|articles|section|"
    r"chapter|sec|para|paragraph|item|regulation|resolution|phase|tier|annex|part|figure|fig|"
    r"table|chart|page|pp?|version)"
    # ... and the parts of a label before this one ("Chart 6-7", "Table 3.1", "Fig. I-2-4")
    r"\.?\s*(?:[\w]+[\-.])*$",
    re.IGNORECASE,
)


_ORDINAL = re.compile(r"(?:st|nd|rd|th)\b", re.IGNORECASE)


def _is_designation(text: str, span: Span) -> bool:
    """A numbered thing ("Type 32"), the numbering of a clause ("Sec 8 (1)") or an ordinal
    ("the 3rd conference")."""
    if _DESIGNATOR.search(text, max(0, span.start - 24), span.start) is not None:
        return True
    if _ORDINAL.match(text, span.end):
        return True
    enclosed = text[span.start - 1 : span.start] == "(" and text[span.end : span.end + 1] == ")"
    return enclosed and span.text.isdigit() and len(span.text) <= 2


def typed_spans(text: str) -> list[Span]:
    """Every typed phrase in ``text`` (a sentence), in order of position; kinds may overlap."""
    return list(_typed_spans(text))


# Scoring looks for phrases in each candidate sentence three times (the kind asked for, the
# words around it, what it counts), and later questions revisit the same passages.
@functools.lru_cache(maxsize=8192)
def _typed_spans(text: str) -> tuple[Span, ...]:
    numbering = _NUMBERING.match(text)
    skip = numbering.end() if numbering else 0
    dates = _spans(_DATE, Expect.DATE, text)
    durations = _spans(_DURATION, Expect.DURATION, text)
    taken = [(s.start, s.end) for s in (*dates, *durations)]
    numbers = []
    for span in [*_spans(_NUMBER, Expect.NUMBER, text), *_spans(_SPELLED, Expect.NUMBER, text)]:
        if any(start <= span.start < end for start, end in taken) or _is_year_only(span):
            continue
        if span.start < skip or _is_designation(text, span):
            continue
        numbers.append(_with_counted(text, span))
    names = [
        s
        for s in _spans(_NAME, Expect.NAME, text)
        if (s.start > 0 or len(s.text.split()) > 1)
        and s.text.split()[0] not in _SENTENCE_START_WORDS
        and not any(d.start <= s.start < d.end for d in dates)
        and not re.fullmatch(r"(?:KRW|USD|EUR|GBP|JPY|CNY|UAH|TRY|INR|AUD)", s.text)
    ]
    reasons = _spans(_REASON, Expect.REASON, text)
    spans = [*dates, *durations, *numbers, *_people(names), *names, *_defined(text), *reasons]
    return tuple(sorted(spans, key=lambda s: (s.start, -s.end)))


_ACRONYM_SKIPS = word_set("of and for the on in to")


def _defined(text: str) -> list[Span]:
    """Terms given with their acronym, the acronym spelling the initials of the words before
    it (small words aside): "Korea Institute of Defense Analysis (KIDA)"."""
    found = []
    for match in _DEFINED.finditer(text):
        acronym = match.group(2).upper()
        letters = [
            w
            for w in re.finditer(r"[A-Za-z]+", text[match.start(1) : match.end(1)])
            if w.group(0).lower() not in _ACRONYM_SKIPS
        ]
        if len(letters) < len(acronym):
            continue
        first = letters[-len(acronym)]
        initials = "".join(w.group(0)[0] for w in letters[-len(acronym) :]).upper()
        if initials != acronym:
            continue
        begin = match.start(1) + first.start()
        found.append(Span(Expect.NAME, begin, match.end(), text[begin : match.end()]))
    return found


# Five or more digits with no separator are a code or a stray page number, not a figure.
_BARE_CODE = re.compile(r"^\d{5,}\b")


def spans_of(text: str, kind: Expect) -> list[Span]:
    """The phrases of ``text`` that can answer a question expecting ``kind``; a phrase inside
    a longer one of the same kind is left out ("PBL" within "performance-based logistics
    (PBL)")."""
    if kind is Expect.LIST:
        return _list_spans(text)
    spans = [
        s
        for s in typed_spans(text)
        if s.kind is kind and not (kind is Expect.NUMBER and _BARE_CODE.match(s.text))
    ]
    return [
        s
        for s in spans
        if not any(
            o is not s and o.start <= s.start and s.end <= o.end and o.end - o.start > len(s.text)
            for o in spans
        )
    ]


# The thing a figure counts is named before its clause moves on to another.
CLAUSE_BREAK = re.compile(r"\s(?:and|or|but|while|whereas)\s|[,;:()]|\.(?:\s|$)")
# How far before a figure its clause may name what it counts ("the number of X was 555,000").
COUNTED_BEFORE_CHARS = 60
_DIGIT = re.compile(r"\d")


def counts(text: str, span: Span, counted: set[str]) -> bool:
    """Whether the figure ``span`` of ``text`` counts one of the stems ``counted``: named in
    the figure's phrase ("4,000 troops") or earlier in its clause ("the number of standing
    troops was 618,000")."""
    if counted & set(stem_words(words(span.text))):
        return True
    before = text[max(0, span.start - COUNTED_BEFORE_CHARS) : span.start]
    clause = CLAUSE_BREAK.split(before)[-1]
    # Another figure in between counts instead ("... troops, 300 of them in 2021, 4,000 ...").
    return bool(counted & set(stem_words(words(clause)))) and not _DIGIT.search(
        YEAR.sub("", clause)
    )


_LIST_LEAD = re.compile(
    r"(?:\b(?:of|includ(?:e|es|ing)|are|is|were|was|such as|namely|into|comprising|"
    r"consisting of|like)\b|:)\s*"
)


def _list_spans(text: str) -> list[Span]:
    """An enumeration "a, b, and c" (three or more items), as one span starting after the
    word that introduces it ("consists of", "including", a colon)."""
    match = re.search(r"[^,;:.]+(?:,\s*[^,;:.]+){1,}(?:,?\s*(?:and|or)\s+[^,;:.]+)", text)
    if match is None:
        return []
    start, end = match.span()
    first_comma = text.index(",", start)
    leads = list(_LIST_LEAD.finditer(text, start, first_comma))
    if leads:
        start = leads[-1].end()
    piece = text[start:end].strip()
    offset = text.index(piece, start)
    return [Span(Expect.LIST, offset, offset + len(piece), piece)]
