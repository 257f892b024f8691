"""Sentence splitting for official prose, keeping exact character offsets into the source.

Hand-written rules rather than a library: answers quote sentences verbatim, so offsets must be
exact, and the splitter runs on every passage of every question inside a tight latency budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.text import numbered_heading, word_set


@dataclass(frozen=True)
class Sentence:
    """``text == source[start:end]``; no leading or trailing whitespace."""

    text: str
    start: int
    end: int


# Terminal punctuation, any closing quotes/brackets, whitespace, then something that can open a
# sentence (an optional opening quote/bracket before a capital or a digit).
_CANDIDATE = re.compile(r"[.!?…]+[\"'”’)\]_*]*(\s+)(?=[\"'“‘(\[]?[A-Z0-9])")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_LINE_BREAK = re.compile(r"(?<=\S)[ \t]*\n\s*(?=[\"'“‘(\[•\-–*]?[A-Z0-9•\-–*|])")
# Items of an enumerated text open a sentence: circled numbers (① ... ⑳, ❶ ... ❿) wherever
# they stand; "1)" or "(1)" at a line start, or "1)" right after a word, which no sentence
# does ("... fishing activities 1) Organization of the team ① The two sides"); an inline list
# follows a colon, a comma or a conjunction ("three tasks: 1) Patrols, 2) Drills and 3) ...").
_ENUMERATOR = re.compile(r"(?<=\S)\s+(?=[\u2460-\u2473\u2776-\u277f\u278a-\u2793]\s*\S)")
# A label in lenticular brackets ("【Annex 1】") stands apart from the sentences around it.
_LABEL = re.compile(r"(?<=\S)\s+(?=【)|(?<=】)\s+(?=\S)")
_LIST_ITEM = re.compile(r"(?<=\S)[ \t]*\n\s*(?=\(?\d{1,2}\)\s+[A-Z])")
_INLINE_ITEM = re.compile(r"\b(?P<word>[a-z]+)(?P<gap>[ \t]+)(?=\d{1,2}\)\s+[A-Z])")
_CONJUNCTIONS = word_set("and or nor")
_LAST_TOKEN = re.compile(r"(\S+)$")
_INITIALISM = re.compile(r"(?:[a-z]\.){2,}$")  # "u.s.", also inside "japan-u.s."
_HEADING_NUMBER = re.compile(r"(?:\d+(?:\.\d+)*|[ivxlc]+|[a-z])\.")
_NEXT_WORD = re.compile(r"\s*[\"'“‘(\[]?([A-Za-z]+)")

# Never end a sentence: titles and Latin abbreviations.
_ALWAYS_ABBREVIATIONS = word_set(
    "mr. mrs. ms. dr. prof. gen. lt. col. maj. capt. cmdr. adm. sgt. cpl. pvt. gov. sen. "
    "rep. st. mt. jr. sr. e.g. i.e. cf. vs. viz. approx. incl. dept. esp. al. ca."
)
# Usually followed by a number or name: "No. 3", "Art. 12", "pp. 4-5", "Jan. 2020".
_NUMBER_ABBREVIATIONS = word_set(
    "no. nos. art. arts. p. pp. para. paras. sec. secs. ch. chap. vol. vols. fig. figs. "
    "jan. feb. mar. apr. jun. jul. aug. sep. sept. oct. nov. dec."
)
# After "U.S." or "No.", a new sentence usually opens with one of these words.
_SENTENCE_OPENERS = word_set(
    "the this these those that it its in on at as a an we our they their there however "
    "moreover furthermore also since when while after before for from with by such"
)
# A short line ending in one of these words is a wrapped line, not a heading.
_CONTINUATION_WORDS = word_set("of the and or to in for on at by with a an as from")
_HEADING_MAX_WORDS = 10


def _is_boundary(text: str, punct_start: int, next_start: int) -> bool:
    """Whether the candidate at ``punct_start`` (the terminal mark) really ends a sentence."""
    token_match = _LAST_TOKEN.search(text, max(0, punct_start - 40), punct_start + 1)
    if token_match is None:
        return True
    token = token_match.group(1).lstrip("\"'“‘([").lower()
    if text[punct_start] != ".":
        return True
    next_char = text[next_start]
    if token in _ALWAYS_ABBREVIATIONS:
        return False
    if token in _NUMBER_ABBREVIATIONS or _INITIALISM.search(token):
        if next_char.isdigit():
            return False
        following = _NEXT_WORD.match(text, next_start)
        return following is not None and following.group(1).lower() in _SENTENCE_OPENERS
    if len(token) == 2 and token[0].isalpha() and token[0].upper() == token_match.group(1)[0]:
        return False  # a middle initial: "J. Kim"
    line_start = text.rfind("\n", 0, token_match.start()) + 1
    at_line_start = not text[line_start : token_match.start()].strip()
    return not (at_line_start and _HEADING_NUMBER.fullmatch(token))


def _is_heading_line(line: str) -> bool:
    words = line.split()
    if not words or len(words) > _HEADING_MAX_WORDS:
        return False
    if words[-1].lower() in _CONTINUATION_WORDS or line.rstrip()[-1] in ",;-–":
        return False
    # A numbered heading whose small capitals came out in lower case: "section 2 Maintaining".
    return words[0][0].isupper() or words[0][0].isdigit() or numbered_heading(line)


def _breaks(text: str) -> list[tuple[int, int]]:
    """(end of one sentence, start of the next) pairs, unsorted and possibly overlapping."""
    found: list[tuple[int, int]] = []
    for match in _CANDIDATE.finditer(text):
        end, start = match.start(1), match.end(1)
        if _is_boundary(text, match.start(), start):
            found.append((end, start))
    for pattern in (_PARAGRAPH_BREAK, _ENUMERATOR, _LIST_ITEM, _LABEL):
        found.extend((m.start(), m.end()) for m in pattern.finditer(text))
    for match in _INLINE_ITEM.finditer(text):
        if match["word"] not in _CONJUNCTIONS:
            found.append((match.start("gap"), match.end("gap")))
    for match in _LINE_BREAK.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        line = text[line_start : match.start()]
        # Table rows ("|a|b|") are one sentence each.
        if line.rstrip()[-1] in ".!?:;”\"')|" or _is_heading_line(line):
            found.append((match.start(), match.end()))
    return found


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of ``text`` in order, each an exact slice of it (headings count as sentences)."""
    sentences: list[Sentence] = []
    position = 0
    for end, start in [*sorted(_breaks(text)), (len(text), len(text))]:
        if end < position:
            continue
        piece = text[position:end]
        stripped = piece.strip()
        if stripped:
            offset = position + piece.index(stripped)
            sentences.append(Sentence(stripped, offset, offset + len(stripped)))
        position = max(position, start)
    return sentences
