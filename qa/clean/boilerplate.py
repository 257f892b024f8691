"""Drop what is page furniture rather than content: image placeholders, horizontal rules,
control characters, and lines repeated on most pages (running titles, page-number strips).

Bold markers and pipe tables stay: they are layout signals for ``qa.clean.blocks``, which
takes them out of the text it hands on."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from qa.types import Document, Page

logger = logging.getLogger(__name__)

# A running title recurs on most pages; with fewer pages repetition proves little.
RUNNING_MIN_PAGES = 4
RUNNING_SHARE = 0.5

_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
# A dash run standing alone mid-line ("721 --- 2011") is a rule, not text.
_INLINE_RULE = re.compile(r"(?<![\S|])-{3,}(?![\S|])")
_RULE = re.compile(r"^\s*(?:[-_=*]\s*){3,}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u3000]+")


def strip_markup(text: str) -> str:
    """Remove placeholders, rules and control characters.

    Removed lines leave a blank line behind, so paragraphs either side stay apart.
    """
    text = _CONTROL.sub("", _IMAGE.sub("", text))
    lines = []
    for line in text.split("\n"):
        if _RULE.match(line) and "|" not in line:
            lines.append("")
            continue
        line = _INLINE_RULE.sub(" ", line)
        lines.append(_SPACES.sub(" ", line).rstrip())
    return "\n".join(lines)


def _line_key(line: str, number: int) -> str:
    # Running titles often carry the page's own number ("12  DEFENCE WHITE PAPER"); other
    # numbers count, so table rows that differ only in figures stay distinct.
    key = " ".join(line.split()).lower()
    return re.sub(rf"(?<!\d){number}(?!\d)", "#", key)


def running_lines(pages: Sequence[Page]) -> frozenset[str]:
    """Keys (see ``_line_key``) of lines found on more than half of the pages."""
    if len(pages) < RUNNING_MIN_PAGES:
        return frozenset()
    pages_with: Counter[str] = Counter()
    for page in pages:
        lines = page.text.split("\n")
        pages_with.update({_line_key(line, page.number) for line in lines if line.strip()})
    limit = RUNNING_SHARE * len(pages)
    return frozenset(key for key, n in pages_with.items() if n > limit)


def drop_lines(page: Page, keys: frozenset[str]) -> Page:
    """``page`` without the lines whose key is in ``keys`` (a blank line stays in their place)."""
    if not keys:
        return page
    lines = page.text.split("\n")
    kept = ["" if _line_key(line, page.number) in keys else line for line in lines]
    return Page(page.number, "\n".join(kept))


def strip_boilerplate(doc: Document) -> Document:
    """The document with furniture removed from every page (or from ``text``)."""
    if doc.pages is None:
        return replace(doc, text=strip_markup(doc.text))
    pages = [Page(page.number, strip_markup(page.text)) for page in doc.pages]
    keys = running_lines(pages)
    if keys:
        logger.debug("%s: dropping %d running lines", doc.id, len(keys))
    return replace(doc, pages=tuple(drop_lines(page, keys) for page in pages))
