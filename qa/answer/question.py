"""What a question asks for, read from its wording: the expected kind of answer and the
constraints it names (years, units, names). No language model: interrogative patterns.

The answer stage uses this to prefer the sentence that carries the asked-for fact (a figure for
"how many", a date for "when") in the asked-for year, over one that merely shares topic words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from qa.text import DOCUMENT_YEAR, YEAR, word_set


class Expect(StrEnum):
    """The kind of phrase that answers a question."""

    NUMBER = "number"  # how many, how much, what share, what rate
    DATE = "date"  # when, what year, since what date
    DURATION = "duration"  # how long, what period
    PERSON = "person"  # who, which minister
    NAME = "name"  # which country / programme / system, what is X called, where
    REASON = "reason"  # why, what purpose, what aim
    LIST = "list"  # what categories, which areas
    DESCRIPTION = "description"  # anything else


_TOKEN = re.compile(r"[\w’'\-]+")
# The noun a "what"/"which" phrase asks about decides the kind of answer ("what share" is a
# figure, "which minister" a person). Plurals are matched without their final "s".
_HEAD_NOUNS: dict[Expect, frozenset[str]] = {
    Expect.NUMBER: word_set(
        "share proportion percentage percent rate number amount level size value sum figure "
        "budget cost price yield strength total target ratio count quantity spending standard "
        "capacity range speed weight population"
    ),
    Expect.DATE: word_set("year date month day"),
    Expect.DURATION: word_set("period length duration time timeframe term"),
    Expect.PERSON: word_set(
        "minister official person general admiral president officer commander author head "
        "chief leader secretary director chairman chairperson"
    ),
    Expect.REASON: word_set("purpose aim reason rationale motive intent"),
    Expect.NAME: word_set(
        "nickname name title label system platform programme program model exercise operation "
        "unit command agency organization organisation country city base interceptor treaty "
        "agreement forum law act initiative doctrine institute center centre"
    ),
    Expect.LIST: word_set(
        "categories areas items types kinds elements components tasks measures steps sectors "
        "fields domains pillars priorities"
    ),
}
# How far past "what"/"which" its noun may sit ("what was the ROK's total peacetime troop
# strength" reaches it at the sixth word).
_HEAD_REACH = 6
_HOW: tuple[tuple[re.Pattern[str], Expect], ...] = (
    (re.compile(r"how many (?:years|months|weeks|days|hours|minutes)\b"), Expect.DURATION),
    (re.compile(r"how (?:long|quickly|soon)\b"), Expect.DURATION),
    (
        re.compile(r"how (?:many|much|large|big|far|high|fast|often|old|heavy|wide)\b"),
        Expect.NUMBER,
    ),
)
_WH = re.compile(r"\b(who|whom|whose|when|where|why|how|what|which)\b", re.IGNORECASE)
_NAMED = re.compile(r"\bwhat is the name\b|\bwhat (?:is|are) [\w\s]{1,40} called\b", re.I)
_UNIT = re.compile(
    r"%|\b(?:kcal|calories|percent|per cent|km|㎢|kilometres?|kilometers?|tons?|tonnes?|kg|"
    r"troops|personnel|soldiers|servicemembers|members|ships|aircraft|tanks|countries|"
    r"won|krw|usd|eur|dollars|euros|yen|yuan|lira|uah)\b",
    re.IGNORECASE,
)
# "how many troops did ...", "the number of troops in ...": the thing counted, up to the verb or
# preposition after it.
_COUNTED = re.compile(
    r"\b(?:how (?:many|much)|(?:total\s+)?number of)\s+((?:\w[\w\-]*\s+){0,3}\w[\w\-]*)", re.I
)
_COUNTED_END = word_set(
    "did do does is are was were has have had will would can could make made serve in of to for "
    "on at by with from"
)
_NAME = re.compile(r"\b(?:[A-Z][\w’'\-]*|[A-Z]{2,}\d*)(?:\s+(?:[A-Z][\w’'\-]*|of|and)){0,4}")
_NOT_NAMES = word_set(
    "What Which Who Whom Whose When Where Why How Under In On At By For From According Since "
    "Up Apart With The A An Is Are Was Were Do Does Did Has Have Had Approximately Roughly About"
)


@dataclass(frozen=True)
class QuestionAnalysis:
    """``years`` the question asks about (not those dating the document it names); ``units``
    it asks in (``kcal``, ``%``, ``troops``); ``counted`` the noun after "how many/much"; ``names``
    the names and codes it mentions."""

    expect: Expect
    years: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    counted: str | None = None
    names: tuple[str, ...] = ()
    countable: bool = False  # "how many X" (things counted), not "how much X" (an amount)


_VERBS = word_set("is was are were do does did has have had will would can could")


def _head_noun_kind(words: list[str]) -> Expect | None:
    """The answer kind named by the first category noun among ``words``, if any.

    Past a verb ("what is the Dongmyeong Unit doing") a noun names the subject, not a kind of
    name to give; a figure's noun still counts ("what was the total troop strength").
    """
    after_verb = bool(words) and words[0].lower() in _VERBS
    for word in words[:_HEAD_REACH]:
        bare = word.lower().removesuffix("’s").removesuffix("'s")
        for expect, nouns in _HEAD_NOUNS.items():
            if expect is Expect.NAME and after_verb:
                continue
            if bare in nouns or bare.removesuffix("s") in nouns:
                return expect
    return None


# "What is the command set up to do?", "what is it meant to achieve?": a purpose.
_EMBEDDED_HOW = re.compile(r"\bhow\b", re.IGNORECASE)
_PURPOSE = re.compile(r"\bto (?:do|achieve|accomplish|serve)\b", re.IGNORECASE)


def _how_kind(clause: str) -> Expect:
    """The kind a clause starting with "how" asks for ("how long" a duration, ...)."""
    rest = clause.lower()
    return next((e for pattern, e in _HOW if pattern.match(rest)), Expect.DESCRIPTION)


def expected_answer(question: str) -> Expect:
    """The kind of phrase that would answer ``question``, from its first interrogative."""
    if _NAMED.search(question):
        return Expect.NAME
    if _PURPOSE.search(question) and re.search(r"\bwhat\b", question, re.IGNORECASE):
        return Expect.REASON
    match = _WH.search(question)
    if match is None:
        return Expect.DESCRIPTION
    word = match.group(1).lower()
    if word in ("who", "whom", "whose"):
        return Expect.PERSON
    fixed = {"when": Expect.DATE, "where": Expect.NAME, "why": Expect.REASON}
    if word in fixed:
        return fixed[word]
    if word == "how":
        return _how_kind(question[match.start() :])
    # "What is the goal for how quickly ...": the "how" clause says what is asked, unless
    # a category noun before it does.
    rest = question[match.end() :]
    embedded = _EMBEDDED_HOW.search(rest)
    kind = _head_noun_kind(_TOKEN.findall(rest[: embedded.start()] if embedded else rest))
    if kind is not None:
        return kind
    if embedded is not None:
        kind = _how_kind(rest[embedded.start() :])
        if kind is not Expect.DESCRIPTION:
            return kind
    # "Which X" picks one of several named things; "what X" may ask for anything.
    return Expect.NAME if word == "which" else Expect.DESCRIPTION


def _counted(question: str) -> str | None:
    match = _COUNTED.search(question)
    if match is None:
        return None
    words = []
    for word in match.group(1).lower().split():
        if word in _COUNTED_END:
            break
        words.append(word)
        if word.endswith("s") and not word.endswith("ss"):
            break  # the plural noun counted: "sailors" in "how many sailors crew each ..."
    return " ".join(words) or None


def _names(question: str) -> tuple[str, ...]:
    names = []
    for match in _NAME.finditer(question):
        words = match.group(0).split()
        while words and words[0] in _NOT_NAMES:
            words = words[1:]
        while words and words[-1] in ("of", "and"):
            words = words[:-1]
        if words:
            names.append(" ".join(words))
    return tuple(dict.fromkeys(names))


def _fact_years(question: str) -> tuple[str, ...]:
    dating = {m.start(1) for m in DOCUMENT_YEAR.finditer(question)}
    years = [m.group(0) for m in YEAR.finditer(question) if m.start() not in dating]
    return tuple(dict.fromkeys(years))


def analyse(question: str) -> QuestionAnalysis:
    """The expected answer kind and the constraints ``question`` names."""
    return QuestionAnalysis(
        expect=expected_answer(question),
        years=_fact_years(question),
        units=tuple(dict.fromkeys(m.group(0).lower() for m in _UNIT.finditer(question))),
        counted=_counted(question),
        names=_names(question),
        countable=re.search(r"\bhow many\b|\bnumber of\b", question, re.IGNORECASE) is not None,
    )
