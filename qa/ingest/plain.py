"""Plain text and Markdown without page marks, plus the titles every file loader shares."""

from __future__ import annotations

import re
from pathlib import PurePath

from qa.text import looks_like_heading, name_words, word_set
from qa.types import Document

_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$")
_BOLD_LINE = re.compile(r"^\*\*([^*].*?)\*\*$")
_PAGE_MARK = re.compile(r"^(?:-----|\f)\s*$")
# Only the opening of a document can hold its title; later headings name chapters.
_TITLE_SEARCH_CHARS = 3000
_TITLE_SEARCH_LINES = 12
TITLE_MAX_WORDS = 12
# Front matter a cover heading can be instead of the title.
_NOT_TITLE = re.compile(
    r"\b(?:contents|foreword|preface|introduction|acknowledge?ments?|abbreviations|acronyms|"
    r"message|summary|copyright|publication|translation|minister|secretary|president|"
    r"chapter|annex|appendix|page)\b|[©@:]|https?://|www\.|\]\(",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]{2}")
_TITLE_WORD = re.compile(r"[^\W\d_]+")
_PUBLISHER = re.compile(
    r"^(?:the\s+)?(?:\w+\s+)?(?:ministry|republic|kingdom|department|government|presidency|"
    r"office|state)\s+of\b",
    re.IGNORECASE,
)
# A title this short must say what kind of document it is ("Annual Report").
_SHORT_TITLE_WORDS = 3
_DOCUMENT_KIND = re.compile(
    r"\b(?:paper|book|report|strategy|review|update|doctrine|concept|plan|policy|assessment|"
    r"programme|program|guidelines|outlook)\b",
    re.IGNORECASE,
)
# Words that only say what kind of document it is: a title of these alone ("National Security
# Strategy", "2018 Defence White Paper") says less than a file name naming country and year.
_GENERIC_WORDS = word_set(
    "national security defence defense strategy strategic white paper whitepaper book annual "
    "report review update policy plan concept doctrine assessment threat military the of and "
    "on in for a an"
)
# A line this long ending like a sentence is body text: a heading after it is not the title.
_BODY_MIN_WORDS = 6
# Short words that are not acronyms, recased when a title in capitals is; other words of up to
# three letters stay in capitals ("ROK", "NDS").
_COMMON_SHORT = word_set("a an and as at by for in of on or the to new war sea air age law key")
_MINOR_TITLE_WORDS = word_set("a an and as at by for from in of on or the to with")


def load_plain(text: str, path: str, source: str | None) -> Document:
    """One Document without pages; Markdown headings in ``text`` give the sections."""
    stem = PurePath(path).stem
    return Document(id=stem, title=document_title(text, stem), text=text.strip("\n"), source=source)


def document_title(text: str, stem: str) -> str:
    """The title the document gives itself near its top (see ``opening_title``), else one
    made from the file name: ``Southkorea 2018 Defense White Paper`` is only a fallback."""
    return opening_title(text[:_TITLE_SEARCH_CHARS]) or title_from_stem(stem)


def opening_title(opening: str) -> str:
    """The first heading of ``opening`` (a Markdown heading or a line in bold), or in text
    without either its first line; "" unless that reads as a title, or when body text comes
    before it.

    Converted PDFs open with cover fragments ("DEFENCE", "2018 DEFENSE"), publishers ("Ministry
    of ..."), registration numbers, dates and contents lists: those give "", as does a first
    line that is already body text. Headings are not joined: the lines of a cover are as often
    two titles, or a title and a publisher, as one title cut in two.
    """
    lines = [line.strip() for line in opening.splitlines()]
    lines = [line for line in lines if line and not _PAGE_MARK.match(line)]
    for line in lines[:_TITLE_SEARCH_LINES]:
        heading = _heading_text(line)
        if heading:
            return _as_title(heading)
        if _is_body(line):
            break
    return "" if any(_heading_text(line) for line in lines) or not lines else _as_title(lines[0])


def _heading_text(line: str) -> str:
    match = _HEADING.match(line) or _BOLD_LINE.match(line)
    return clean_title(match.group(1)) if match else ""


def _is_body(line: str) -> bool:
    return len(line.split()) >= _BODY_MIN_WORDS and line[-1] in ".;:,"


def _as_title(text: str) -> str:
    """``text`` as a title, recased when in capitals; "" when it does not read as one: too
    long, a fragment, a sentence, front matter, a publisher, a date, or letter-spaced."""
    title = clean_title(text)
    words = title.split()
    if not _WORD.search(title) or not 2 <= len(words) <= TITLE_MAX_WORDS:
        return ""
    if sum(len(word) <= 2 for word in words) > len(words) / 3:  # "D E C E M B E R 2 0 1 7"
        return ""
    if _NOT_TITLE.search(title) or _PUBLISHER.match(title) or _DATE.search(title):
        return ""
    if not looks_like_heading(title) or words[-1].lower() in _MINOR_TITLE_WORDS:
        return ""
    if len(words) < _SHORT_TITLE_WORDS and not _DOCUMENT_KIND.search(title):
        return ""  # "National Defence", "2018 Defense": the cover's first line only
    if all(w.lower() in _GENERIC_WORDS for w in _TITLE_WORD.findall(title)):
        return ""
    return _recased(title) if title.upper() == title else title


def _recased(title: str) -> str:
    """``2018 DEFENSE WHITE PAPER OF THE ROK`` -> ``2018 Defense White Paper of the ROK``."""
    words = []
    for i, word in enumerate(title.split()):
        lower = word.lower()
        if len(word) <= 3 and lower not in _COMMON_SHORT and word.isalpha():
            words.append(word)
        elif i and lower in _MINOR_TITLE_WORDS:
            words.append(lower)
        else:
            words.append(word[:1] + lower[1:])
    return " ".join(words)


def title_from_stem(stem: str) -> str:
    """``japan_2022_NationalDefenseStrategy`` -> ``Japan 2022 National Defense Strategy``."""
    words = name_words(stem)
    return " ".join(word[0].upper() + word[1:] for word in words) or stem


def clean_title(text: str) -> str:
    """Drop Markdown emphasis and code marks and squeeze whitespace."""
    return " ".join(re.sub(r"[*_`]+", " ", text).split())
