"""Acronyms a document defines ("Future Combined Forces Command (F-CFC)") and where it uses them.

Defense documents define an acronym once and use it for hundreds of pages: a passage about
"GPs" never says "guard posts", so a question in full words misses it. Each chunk carries the
long forms of the acronyms it uses without spelling out, for the retrievers to read with it.

The definitions are found as Schwartz and Hearst (2003) do, simplified: the letters of an
acronym in brackets are the initials of the words right before it, in order, where small words
("of", "and") may be skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from qa.text import word_set

# "(F-CFC)", "(GP)", "(ROK JCS)", "(MND, 2020)": two or more capitals, digits and joiners.
_DEFINED = re.compile(r"\((?P<abbr>[A-Z][A-Za-z0-9&/\-]{1,11})(?:[,;][^)]*)?\)")
# Where an acronym may be used: a token that opens with a capital ("GPs", "F-CFC").
_TOKEN = re.compile(r"(?<![\w-])[A-Z][A-Za-z0-9&/\-]*(?![\w-])")
_PLURAL = re.compile(r"(?<=[A-Z0-9])s$")
_WORD = re.compile(r"[^\W\d_][\w’'\-]*|\d+")
_SKIPPABLE = word_set("of and the for on in to at by with a an de")
# Pieces of the long form are searched for in this many words before the bracket beyond the
# acronym's letter count (the skipped small words).
EXTRA_WORDS = 4
# A chunk lists at most this many long forms: they help retrieval, a long list dilutes it.
MAX_EXPANSIONS = 8
# An acronym used in more than this share of a document's passages is the document's everyday
# word ("ROK" in a Korean paper): spelling it out everywhere would only blur every passage.
EVERYDAY_SHARE = 0.1
EVERYDAY_MIN_PASSAGES = 20


def _letters(abbr: str) -> str:
    """The initials an acronym stands for: its capitals and digits ("F-CFC" -> "FCFC"; a
    plural or a lower-case joiner is not one: "GPs" -> "GP", "MoD" -> "MD")."""
    return "".join(c for c in abbr if c.isupper() or c.isdigit())


def _long_form(words: list[str], letters: str) -> str | None:
    """The words ending ``words`` whose initials spell ``letters``, or None."""
    wanted = letters.lower()
    start = len(words)
    for i in range(len(words) - 1, -1, -1):
        if not wanted:
            break
        word = words[i]
        # A hyphenated word gives one letter per part: "Cross-Servicing" in "ACSA".
        parts = "".join(part[0] for part in word.lower().split("-") if part)
        if len(parts) > 1 and wanted.endswith(parts):
            wanted = wanted[: -len(parts)]
            start = i
        elif word[0].lower() == wanted[-1]:
            wanted = wanted[:-1]
            start = i
        elif word.lower() not in _SKIPPABLE:
            return None
    if wanted or start == len(words):
        return None
    return " ".join(words[start:])


def definitions(text: str) -> dict[str, str]:
    """Acronym -> long form for each acronym ``text`` defines in brackets after its long form.

    >>> definitions("the Demilitarized Zone guard posts (GPs) and the Ministry of Defense (MoD)")
    {'GP': 'guard posts', 'MoD': 'Ministry of Defense'}
    """
    found: dict[str, str] = {}
    for match in _DEFINED.finditer(text):
        # Defined in the plural ("ACSAs"), used in both: the singular is the key.
        abbr = _PLURAL.sub("", match["abbr"])
        letters = _letters(abbr)
        if len(letters) < 2 or abbr in found:
            continue
        words = _WORD.findall(text[max(0, match.start() - 200) : match.start()])
        if words:
            # "the Future Combined Forces Command’s (F-CFC) mission"
            words[-1] = words[-1].removesuffix("’s").removesuffix("'s")
        long_form = _long_form(words[-(len(letters) + EXTRA_WORDS) :], letters)
        if long_form is not None:
            found[abbr] = long_form
    return found


def glossary(texts: Iterable[str]) -> dict[str, str]:
    """The acronyms a document's ``texts`` define (the first definition of each wins)."""
    found: dict[str, str] = {}
    for text in texts:
        for abbr, long_form in definitions(text).items():
            found.setdefault(abbr, long_form)
    return found


def rare(known: Mapping[str, str], texts: list[str]) -> dict[str, str]:
    """``known`` without the acronyms used in more than ``EVERYDAY_SHARE`` of ``texts`` (the
    passages of one document, when it has ``EVERYDAY_MIN_PASSAGES`` or more)."""
    if len(texts) < EVERYDAY_MIN_PASSAGES:
        return dict(known)
    counts = dict.fromkeys(known, 0)
    for text in texts:
        for abbr in _used(text, known):
            counts[abbr] += 1
    return {a: f for a, f in known.items() if counts[a] <= EVERYDAY_SHARE * len(texts)}


def _used(text: str, known: Mapping[str, str]) -> list[str]:
    """The acronyms of ``known`` that ``text`` uses (also in the plural, "GPs") without
    spelling them out, in order of first use."""
    lowered = text.lower()
    used: dict[str, None] = {}
    for token in _TOKEN.findall(text):
        abbr = token[:-1] if token.endswith("s") and token[:-1] in known else token
        if abbr in known and abbr not in used and known[abbr].lower() not in lowered:
            used[abbr] = None
    return list(used)


def expansions(text: str, known: Mapping[str, str]) -> tuple[str, ...]:
    """``"ABBR: long form"`` for the first ``MAX_EXPANSIONS`` acronyms that ``text`` uses
    without spelling them out (a chunk's ``glossary``)."""
    return tuple(f"{abbr}: {known[abbr]}" for abbr in _used(text, known)[:MAX_EXPANSIONS])


def spelled_out(text: str, chunk_glossary: Iterable[str]) -> str:
    """The long forms, from a chunk's ``glossary`` ("GP: guard posts"), of the acronyms that
    ``text`` (a piece of that chunk) uses, joined by spaces."""
    known = dict(item.split(": ", 1) for item in chunk_glossary)
    return " ".join(known[abbr] for abbr in _used(text, known))
