"""What reads as prose on a page, and the blocks a prose segment becomes: a side heading
lifted out of it, a dated caption, or a paragraph with its footnote markers moved to
``notes``. Also the text helpers the layout classifier (``qa.clean.blocks``) shares.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from qa.text import ENDS_SENTENCE
from qa.types import CAPTION, PARAGRAPH, SIDE_HEADING, Block

# A footnote set off in bold ("**53)**"), and a note's marker in the body text ("[53)]").
BOLD_NOTE = re.compile(r"\*\*\s*(?P<n>\d{1,3})\)\s*\*\*")
MARKER = re.compile(r"\[\s*\^?\s*(?P<n>\d{1,3})\s*\)?\s*\]")
_BOLD = re.compile(r"\*\*(?P<text>[^*]+?)\*\*")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)")
_WORDS = re.compile(r"[^\W_]+(?:[’'\-][^\W_]+)*")
_DATED = re.compile(
    r"\((?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+)?"
    r"(?:\d{1,2},?\s+)?(?:19|20)\d{2}\)$"
)
SPACES = re.compile(r"\s+")

# A run reads as prose when at least this share of its words are lower case (chart labels and
# table cells are names and numbers), over at least PROSE_MIN_WORDS words.
PROSE_LOWER_SHARE = 0.4
PROSE_MIN_WORDS = 6
# ... and its first words must not be a run of names and figures.
PROSE_OPENING_WORDS = 6
PROSE_OPENING_SHARE = 0.34
# An unfinished run (no full stop before the segment ends) must be longer and plainer.
OPEN_PROSE_MIN_WORDS = 8
OPEN_PROSE_LOWER_SHARE = 0.6
# Side headings are short; their pieces come back within a few words of each other.
SIDE_HEADING_MAX_WORDS = 15
SIDE_HEADING_GAP_WORDS = 40
CAPTION_MAX_WORDS = 15
# A segment of bare numbers: most of its tokens are figures.
NUMBERS_MIN_TOKENS = 4
NUMBERS_SHARE = 0.5


def ends_sentence(text: str) -> bool:
    # Only the end can match: searching all of a long text for "$" is quadratic in a loop.
    return ENDS_SENTENCE.search(text, max(0, len(text) - 64)) is not None


def plain_words(text: str) -> list[str]:
    return _WORDS.findall(text.replace("**", " "))


def lower_share(words: list[str]) -> float:
    return sum(w[0].islower() for w in words) / len(words) if words else 0.0


def _is_prose_run(run: str, finished: bool) -> bool:
    """Whether ``run`` reads as a sentence: enough words, enough of them lower case, and a
    plain opening (chart values run on for a while before a sentence that follows them)."""
    words = plain_words(run)
    opening = lower_share(words[:PROSE_OPENING_WORDS]) >= PROSE_OPENING_SHARE
    if finished:
        return len(words) >= PROSE_MIN_WORDS and lower_share(words) >= PROSE_LOWER_SHARE and opening
    return (
        len(words) >= OPEN_PROSE_MIN_WORDS
        and lower_share(words) >= OPEN_PROSE_LOWER_SHARE
        and opening
    )


# A sentence opens at the start (in lower case too: the rest of an interrupted sentence) or
# with a capital after a closing bracket, a digit, a full stop or a bold run.
_RUN_START = re.compile(
    r"^\s*[\"'“‘]?(?:\*\*)?[A-Za-z]|(?:(?<=[.!?…:;)\]|0-9]\s)|(?<=\*\*\s))[\"'“‘]?(?:\*\*)?[A-Z]"
)


def prose_start(text: str) -> int | None:
    """Offset where prose begins in ``text`` (chart values or table debris before it), or None.

    A prose run opens with a capital after a closing bracket, a digit or a full stop (or at
    the start), and runs to the next full stop: "... France (2019) To date, the ROK has".
    """
    for match in _RUN_START.finditer(text):
        start = match.start()
        end = _SENTENCE_END.search(text, start)
        run = text[start : end.end()] if end else text[start:]
        if _is_prose_run(run, end is not None):
            return start
    return None


def is_numbers(text: str) -> bool:
    """Bare figures and capitalised labels only: chart values without their label."""
    tokens = text.replace("**", " ").split()
    if len(tokens) < NUMBERS_MIN_TOKENS or lower_share(plain_words(text)) > 0:
        return False
    numeric = sum(
        any(ch.isdigit() for ch in t) and not any(ch.isalpha() for ch in t) for t in tokens
    )
    return numeric / len(tokens) >= NUMBERS_SHARE


def flat(text: str) -> str:
    return SPACES.sub(" ", text.replace("**", "")).strip()


def prose_blocks(text: str) -> Iterator[Block]:
    """A prose segment without markers and side headings: the heading first, then the text."""
    notes = tuple(m["n"] for m in MARKER.finditer(text))
    text = MARKER.sub("", text)
    heading, text = _side_heading(text)
    if heading:
        yield Block(SIDE_HEADING, heading)
    joined = flat(text)
    if not joined:
        return
    words = plain_words(joined)
    if (
        len(words) <= CAPTION_MAX_WORDS
        and _DATED.search(joined)
        and not ends_sentence(joined)
        and not heading
    ):
        yield Block(CAPTION, joined)
        return
    lines = [flat(line) for line in text.split("\n")]
    yield Block(PARAGRAPH, "\n".join(line for line in lines if line), notes=notes)


def _side_heading(text: str) -> tuple[str, str]:
    """(heading, text without it) when ``text`` holds a side heading, else ("", text).

    A side heading opens with a capitalised bold run at a line start, or with one that another
    bold run follows within a few words (the export interleaves the margin with the body); bold
    runs that come back within a few words continue it. A lone bold phrase mid-line is emphasis.
    """
    runs = [
        m for m in _BOLD.finditer(text) if flat(m["text"]) and not BOLD_NOTE.fullmatch(m.group(0))
    ]
    pieces: list[re.Match[str]] = []
    for i, match in enumerate(runs):
        inner = flat(match["text"])
        if not pieces:
            line_start = text.rfind("\n", 0, match.start()) + 1
            at_line_start = not text[line_start : match.start()].strip()
            paired = i + 1 < len(runs) and _gap(text, match, runs[i + 1]) <= SIDE_HEADING_GAP_WORDS
            worded = any(w.isalpha() and len(w) > 1 for w in plain_words(inner))
            titled = (inner[0].isupper() or inner[0].isdigit()) and worded
            if titled and (at_line_start or paired):
                pieces.append(match)
            continue
        joined = " ".join(flat(p["text"]) for p in pieces)
        if _gap(text, pieces[-1], match) > SIDE_HEADING_GAP_WORDS or ends_sentence(joined):
            break
        pieces.append(match)
    heading = " ".join(flat(p["text"]) for p in pieces)
    if not pieces or len(heading.split()) > SIDE_HEADING_MAX_WORDS:
        return "", text
    out: list[str] = []
    position = 0
    for piece in pieces:
        out.append(text[position : piece.start()])
        position = piece.end()
    out.append(text[position:])
    return heading, "".join(out)


def _gap(text: str, first: re.Match[str], second: re.Match[str]) -> int:
    return len(plain_words(text[first.end() : second.start()]))
