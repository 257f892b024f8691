"""Compare documents: the same question answered once per document, side by side.

An analyst's commonest question over a collection of editions is a comparison ("How did the
defence budget change between the 2018 and 2020 white papers?"). One mixed answer from whichever
passages score best hides which edition says what, so each document is asked on its own, with
its own citations, and says "not found" when it does not answer.

The documents are chosen by the caller, or read from the question (``qa.analyst.naming``: "the 2018
and 2020 white papers", "the 2022 edition", "Japan's 2022 National Defense Strategy").
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from qa.analyst.naming import DOCUMENT_NOUNS, Named, edition_year, named_documents
from qa.errors import InvalidQuestion, UnknownDocument
from qa.text import ASKING_WORDS
from qa.text.words import title_words
from qa.types import Answer

logger = logging.getLogger(__name__)

MIN_DOCUMENTS = 2
MAX_DOCUMENTS = 4

__all__ = [
    "MAX_DOCUMENTS",
    "MIN_DOCUMENTS",
    "Named",
    "check_documents",
    "compare",
    "edition_year",
    "focused_question",
    "named_documents",
]

# Years said relative to an edition ("the budget for the following year"), and how far from
# the edition's own year each lies.
_RELATIVE_YEARS = (
    (re.compile(r"\bthe (?:following|next|coming|subsequent) year\b", re.IGNORECASE), 1),
    (re.compile(r"\bthe (?:previous|preceding|prior|past) year\b", re.IGNORECASE), -1),
    (re.compile(r"\b(?:this|the current|the same) year\b", re.IGNORECASE), 0),
)
# Framing that asks for a comparison without being part of what is asked.
_FRAMING = re.compile(
    r"^\s*(?:please\s+)?(?:compare|contrast)\s+(?P<docs>.+?)\s+"
    r"(?:on|about|regarding|concerning|with regard to|in terms of)\s+(?P<topic>.+?)\s*[?.!]*$",
    re.IGNORECASE,
)

_LIST_BEFORE = re.compile(r"(?:19|20)\d{2}(?P<joint>\s*,|\s+(?:and|or|vs\.?|versus))\s+$", re.I)
_LIST_AFTER = re.compile(
    r"^(?P<joint>\s*,|\s+(?:and|or|vs\.?|versus))(?=\s+(?:19|20)\d{2}\b)", re.I
)


def _with_connector(question: str, span: tuple[int, int]) -> tuple[int, int]:
    """``span`` of a year in a list of years widened to take its "and" or comma along:
    dropping 2018 from "the 2016 and 2018 papers" leaves "the 2016 papers"."""
    start, end = span
    before = _LIST_BEFORE.search(question[:start])
    if before:
        return before.start("joint"), end
    after = _LIST_AFTER.match(question[end:])
    if after:
        return start, end + after.end("joint")
    return span


_ONE_EDITION = re.compile(
    r"\b(?P<head>(?:19|20)\d{2}(?:\s+[\w’'\-]+){0,3}?\s+)"
    r"(?P<noun>papers|whitepapers|editions|versions|reports|reviews|updates|documents|"
    r"strategies|policies)\b(?P<each>\s+each\b)?",
    re.IGNORECASE,
)


def _singular(match: re.Match[str]) -> str:
    noun = match.group("noun")
    one = noun[:-3] + "y" if noun.lower().endswith("ies") else noun[:-1]
    return match.group("head") + one


# A plural verb right before the editions it asked about ("How do South Korea's 2016 and 2018
# papers define"), to agree with the one edition left ("How does ... 2016 paper define").
_PLURAL_VERB = re.compile(
    r"\b(?P<verb>do|have|are|were)(?P<subject>(?:\s+[\w’'\-]+){0,3}?\s+)$", re.IGNORECASE
)
_SINGULAR_VERBS = {"do": "does", "have": "has", "are": "is", "were": "was"}


def _one_edition(question: str) -> str:
    """``question`` about one edition: "do the 2016 white papers each say" -> "does the 2016
    white paper say"."""
    out, position = [], 0
    for match in _ONE_EDITION.finditer(question):
        before = question[position : match.start()]
        verb = _PLURAL_VERB.search(before)
        if verb is not None:
            one = _SINGULAR_VERBS[verb["verb"].lower()]
            one = one.capitalize() if verb["verb"][0].isupper() else one
            before = before[: verb.start()] + one + verb["subject"]
        out.append(before + _singular(match))
        position = match.end()
    out.append(question[position:])
    return "".join(out)


# Clauses of a question that asks each document in turn: "..., and in 2020 according to ...".
_CLAUSE = re.compile(r",\s+(?:and|while|whereas|but)\s+|;\s+", re.IGNORECASE)
# A date that a clause about another document asks about: "at the end of 2018", "in 2018".
_DATED_PHRASE = re.compile(
    r"(?:\s+(?:at|by|in|until|as of|since|for)(?:\s+the\s+(?:end|start|beginning|middle)\s+of)?)?"
    r"\s+(?:19|20)\d{2}\b",
    re.IGNORECASE,
)


# Where a clause says which document it asks: "according to South Korea's 2018 Defense White
# Paper", "in the 2019 edition".
_ATTRIBUTION = re.compile(
    r"\s+(?:according to|as reported in|in)\s+(?:the\s+)?(?:[\w’'\-]+\s+){0,2}?"
    r"(?:19|20)\d{2}(?:\s+[\w’'\-]+){0,3}?\s+(?:"
    + "|".join(sorted(DOCUMENT_NOUNS, key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)
# A clause that only adds when and where to the question before it: "..., and in 2021
# according to the 2021 edition".
_ELLIPTIC = re.compile(r"^(?:in|at|by|for|from|during|since|as of|according to|under)\b", re.I)
_ASKS = re.compile(rf"\b(?:{'|'.join(sorted(ASKING_WORDS))})\b", re.IGNORECASE)


def _inside(spans: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    return any(start <= s < end for s, _ in spans)


def _other_clauses(question: str, named: Sequence[Named], doc_id: str) -> list[tuple[int, int]]:
    """What to drop of the clauses that ask about other documents only: a later clause whole
    ("..., and in 2020 according to the 2020 edition"), and the dates and the document the
    first one names (it holds what every document is asked: "How many troops ... at the end of
    2018 according to the 2018 paper"), which this document's own later clause then completes
    ("How many troops ... in 2020 according to the 2020 edition")."""
    connectors = list(_CLAUSE.finditer(question))
    bounds = [0, *(m.start() for m in connectors), len(question)]
    own = [s for n in named if n.doc_id == doc_id for s in n.spans]
    others = [s for n in named if n.doc_id != doc_id for s in n.spans]
    drop: list[tuple[int, int]] = []
    trimmed = False
    for i, (start, end) in enumerate(itertools.pairwise(bounds)):
        if _inside(own, start, end):
            clause = question[connectors[i - 1].end() : end] if i > 0 else ""
            if trimmed and _ELLIPTIC.match(clause) and not _ASKS.search(clause):
                drop.append((start, connectors[i - 1].end() - 1))
            continue
        if not _inside(others, start, end):
            continue
        if i > 0:
            drop.append((start, end - 1 if question[end - 1 : end] in "?.!" else end))
        else:
            drop.extend(m.span() for m in _DATED_PHRASE.finditer(question, start, end))
            drop.extend(
                m.span()
                for m in _ATTRIBUTION.finditer(question, start, end)
                if _inside(others, *m.span())
            )
            trimmed = True
    return drop


def focused_question(
    question: str, named: Sequence[Named], doc_id: str, year: int | None = None
) -> str:
    """``question`` as asked of ``doc_id`` alone.

    The years naming the other documents are dropped (they would pull this document's passages
    about those years), as are the clauses and dates asked of them only; "the following year"
    becomes the year after this edition's ``year``; "compare X on TOPIC" becomes a question
    about the topic.
    """
    framed = _FRAMING.match(question)
    if framed:
        question = f"What does it say about {framed.group('topic')}?"
    else:
        drop = sorted(
            [
                *(
                    _with_connector(question, span)
                    for n in named
                    if n.doc_id != doc_id
                    for span in n.spans
                ),
                *_other_clauses(question, named, doc_id),
            ]
        )
        out, position = [], 0
        for start, end in drop:
            out.append(question[position : max(start, position)])
            position = max(end, position)
        out.append(question[position:])
        question = "".join(out)
        if drop:
            # One edition left: its nouns and verb in the singular.
            question = _one_edition(question)
    if year is not None:
        for pattern, offset in _RELATIVE_YEARS:
            question = pattern.sub(str(year + offset), question)
    return re.sub(r"\s{2,}", " ", question).strip()


def check_documents(docs: Sequence[str], known: set[str]) -> list[str]:
    """``docs`` without repeats; 2-4 known document ids, else an error saying what is wrong."""
    chosen = list(dict.fromkeys(docs))
    unknown = [d for d in chosen if d not in known]
    if unknown:
        raise UnknownDocument(f"unknown document id(s): {', '.join(map(repr, unknown))}")
    if not MIN_DOCUMENTS <= len(chosen) <= MAX_DOCUMENTS:
        raise InvalidQuestion(
            f"compare takes {MIN_DOCUMENTS} to {MAX_DOCUMENTS} different documents, "
            f"got {len(chosen)}"
        )
    return chosen


Ask = Callable[[str, str], Answer]


def compare(
    question: str, titles: dict[str, str], ask: Ask, docs: Sequence[str] | None = None
) -> dict[str, Answer]:
    """One answer per document: ``ask(question, doc_id)`` for each of ``docs``, or of the
    documents the question names when ``docs`` is None. Each answer keeps the question as
    asked; ``resolved_question`` says what was asked of that document when it differs."""
    named = named_documents(question, titles)
    if docs is None:
        docs = [n.doc_id for n in named]
        if len(docs) < MIN_DOCUMENTS:
            raise InvalidQuestion(
                "choose 2 to 4 documents to compare, or name them in the question "
                "(for example 'the 2018 and 2020 white papers')"
            )
    chosen = check_documents(docs, set(titles))
    answers = {}
    for doc_id in chosen:
        year = edition_year(title_words(doc_id, titles[doc_id]))
        focused = focused_question(question, named, doc_id, year)
        answer = ask(focused, doc_id)
        resolved = focused if focused != question.strip() else answer.resolved_question
        answers[doc_id] = replace(answer, question=question.strip(), resolved_question=resolved)
    return answers
