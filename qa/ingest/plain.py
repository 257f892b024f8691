"""Plain text and Markdown without page marks, plus the titles every file loader shares."""

from __future__ import annotations

import re
from pathlib import PurePath

from qa.text import name_words
from qa.types import Document

_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
# Only the opening of a document can hold its title; later headings name chapters.
_TITLE_SEARCH_CHARS = 3000
# A name like ``japan_2022_NationalDefenseStrategy`` was chosen to say what the document is,
# while the first heading of a converted PDF is often a cover fragment ("DEFENCE").
_DESCRIPTIVE_NAME_WORDS = 3


def load_plain(text: str, path: str, source: str | None) -> Document:
    """One Document without pages; Markdown headings in ``text`` give the sections."""
    stem = PurePath(path).stem
    return Document(id=stem, title=document_title(text, stem), text=text.strip("\n"), source=source)


def document_title(text: str, stem: str) -> str:
    """A descriptive file name, else the first Markdown heading near the top, else the name."""
    from_name = title_from_stem(stem)
    if len(from_name.split()) >= _DESCRIPTIVE_NAME_WORDS:
        return from_name
    match = _HEADING.search(text[:_TITLE_SEARCH_CHARS])
    heading = clean_title(match.group(1)) if match else ""
    return heading or from_name


def title_from_stem(stem: str) -> str:
    """``japan_2022_NationalDefenseStrategy`` -> ``Japan 2022 National Defense Strategy``."""
    words = name_words(stem)
    return " ".join(word[0].upper() + word[1:] for word in words) or stem


def clean_title(text: str) -> str:
    """Drop Markdown emphasis and code marks and squeeze whitespace."""
    return " ".join(re.sub(r"[*_`]+", " ", text).split())
