"""Text helpers shared by the ingest, cleaning, indexing, retrieval and answer stages.

Here: heading and sentence-end tests, file-name words, document years, the row joiner of quoted
table rows. ``sentences`` splits sentences, ``acronyms`` finds acronym definitions, ``words``
gives the words, stems and BM25 tokens every search and the answer scorer compare, ``fields``
the texts each retriever reads for a chunk. Ground floor: imports only ``qa.types`` of citeqa.
"""

from __future__ import annotations

import re

# Headings of official documents are numbered or title-cased; a line where many content words
# start in lower case is a sentence, or a piece of one, whatever its layout says.
_HEADING_WORD = r"^(?:(?:chapter|section|part|appendix|annex|article)\s+)?"
_HEADING_NUMBER = re.compile(
    _HEADING_WORD + r"(?:\d+(?:[.\-]\d+)*|[IVXLC]+|[A-Z])[.):]?\s+", re.IGNORECASE
)
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
# A line ending as a sentence does: closing quotes, brackets or emphasis may follow the mark.
ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]*]*$")
# ... or as a clause does, which a list item or a lead-in line may.
ENDS_CLAUSE = re.compile(r"[.!?…:;][\"'”’)\]*]*$")
# A table row is quoted as its cells in order; several rows by the ellipsis (the page view and
# the evaluation split quotes on it again).
ROW_JOINER = " ... "
# Where a file name breaks into words: separators, camelCase, ``ROKDefense``, ``2022Report``.
_NAME_BREAK = re.compile(
    r"[_\-\s.]+"
    r"|(?<=[a-z])(?=[A-Z])"
    r"|(?<=[A-Z])(?=[A-Z][a-z])"
    r"|(?<=[^\W\d_])(?=\d)"
    r"|(?<=\d)(?=[^\W\d_])"
)


def name_words(stem: str) -> list[str]:
    """``japan_2022_NationalDefenseStrategy`` -> ``["japan", "2022", "National", ...]``."""
    return [word for word in _NAME_BREAK.split(stem) if word]


# Words a title leaves in lower case ("Defence of the Realm", "Training and Education").
def word_set(spaced: str) -> frozenset[str]:
    """``"of the and"`` -> ``frozenset({"of", "the", "and"})``: word lists stay readable."""
    return frozenset(spaced.split())


_MINOR_WORDS = word_set(
    "a an and as at but by for from in into nor of on onto or per the to up upon via vs "
    "with within without against among between over under through toward towards"
)
# The words that open a question (also one asked inside another: "... (What share ...").
ASKING_WORDS = word_set("what which who whom whose when where why how")
HEADING_MAX_WORDS = 15
TITLE_CASE_SHARE = 0.75


def looks_like_heading(line: str) -> bool:
    """Whether ``line`` reads as a heading: short, and numbered, title-cased or in capitals.

    ``"2. Training of Pilots"`` and ``"DEFENCE POLICY"`` do; ``"Starting with the deployment of
    an engineering unit to Somalia in 1993, the ROK, which"`` does not, nor does anything
    ending like a sentence.
    """
    text = " ".join(line.split())
    if not text or len(text.split()) > HEADING_MAX_WORDS or text[-1] in ".!?;,":
        return False
    body = _HEADING_NUMBER.sub("", text, count=1)
    words = [w for w in _WORD.findall(body) if w.lower() not in _MINOR_WORDS]
    if not words:
        return body != text  # a bare number ("3.") is a heading only if numbered
    capitalised = sum(1 for w in words if w[0].isupper())
    return capitalised / len(words) >= TITLE_CASE_SHARE


# A heading's own number: "1.", "2-3", "IV.", "Section 2" (a bare letter may open a sentence,
# and "1)" a list item).
_OWN_NUMBER = re.compile(
    _HEADING_WORD + r"(?:\d{1,2}(?:[.\-]\d{1,2})*[.:]?|[IVXLC]+\.)\s+(?=\S)", re.IGNORECASE
)


def numbered_heading(line: str) -> bool:
    """Whether ``line`` opens with a heading number and is short enough for a heading, whatever
    the case of its words (converters lose small capitals: "1. national Defense Objectives")."""
    text = " ".join(line.split())
    return (
        bool(_OWN_NUMBER.match(text))
        and len(text.split()) <= HEADING_MAX_WORDS
        and not ENDS_CLAUSE.search(text)
        and text[-1] != ","
    )


YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
# A year that names a document or an agreement ("Japan's 2022 National Defense Strategy", "the
# 2020 white paper", "the October 2018 Alliance Guiding Principles") dates the source, not the
# fact asked about.
DOCUMENT_YEAR = re.compile(
    r"\b((?:19|20)\d{2})\s+(?:[\w’'\-]+\s+){0,3}?(?:white\s+paper|paper|strategy|review|"
    r"report|concept|assessment|doctrine|update|edition|summary|policy|principles|agreement|"
    r"accord|treaty|act|law|declaration|statement|communiqu[eé]|guidelines)\b",
    re.IGNORECASE,
)


def document_years(question: str) -> tuple[str, ...]:
    """The years ``question`` uses to name a document ("the 2023 Defence Strategic Review")."""
    return tuple(dict.fromkeys(m.group(1) for m in DOCUMENT_YEAR.finditer(question)))
