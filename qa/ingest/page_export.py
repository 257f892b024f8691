"""Page-export text: one file per page, as some document viewers save them.

Layout (decided by content, never by file name)::

    Page 232 - 2020 Defence White Paper      <- header: page number and document title
    P. 232
                                             <- blank
    their unwavering support ...             <- first body line may start at column 0
                                The MND ...  <- body at a base indent; one space deeper
                                                starts a paragraph
                    2020 Defense White Paper <- footer: running title, shallower indent
     227   228   229 ...                     <- footer: neighbouring page numbers (U+00A0)

Pages are converted to canonical page text (see ``qa.clean.paragraphs``): paragraph starts
become blank lines, headings become ``#`` lines, and the footer is dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from qa.errors import IngestError
from qa.text import ENDS_CLAUSE, looks_like_heading, word_set
from qa.types import Document, Page

logger = logging.getLogger(__name__)

_HEADER = re.compile(r"^Page (?P<number>\d+) - (?P<title>\S.*?)\s*$")
_PAGE_LINE = re.compile(r"^P\. (?P<number>\d+)\s*$")
_NUMBER_STRIP = re.compile(r"^[\s\u00a0]*\d+(?:[\s\u00a0]+\d+)*[\s\u00a0]*$")
_SLUG_DROP = re.compile(r"[^\w]+")
# A page that opens an appendix or a chapter starts with its title, run into what follows
# ("Appendix 6 UNSC Resolutions on Sanctions **Classification** ...", "Appendix 2 Comparing
# Defense Budgets Around the World As of 2019").
_OPENER = re.compile(r"^(?:Special\s+)?(?:Appendix|Annex|Chapter)\s*\d+\b")
_TITLE_MINOR = word_set("of the and on in for to with by a an at from between")
_TITLE_STOP = word_set(
    "As Unit Unit: The January February March April May June July August September October "
    "November December"
)
TITLE_MIN_WORDS = 2
TITLE_MAX_WORDS = 15


@dataclass(frozen=True)
class ExportPage:
    """One exported page: ``number`` from its header, ``text`` in canonical form, ``origin``
    the absolute path of its file."""

    title: str
    number: int
    text: str
    origin: str


def _header(text: str) -> tuple[re.Match[str], re.Match[str]] | None:
    lines = text.lstrip("\ufeff").split("\n", 2)
    if len(lines) < 2:
        return None
    header = _HEADER.match(lines[0].rstrip("\r"))
    page_line = _PAGE_LINE.match(lines[1].rstrip("\r"))
    if header is None or page_line is None:
        return None
    return header, page_line


def looks_like_page_export(text: str) -> bool:
    """Whether ``text`` opens with a ``Page N - TITLE`` / ``P. N`` header of one page number."""
    found = _header(text)
    return found is not None and found[0]["number"] == found[1]["number"]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _strip_footer(body: list[str]) -> list[str]:
    """``body`` without the page-number strip and the running title just above it."""
    lines = list(body)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines or not _NUMBER_STRIP.match(lines[-1]) or "\u00a0" not in lines[-1]:
        return lines
    lines.pop()
    while lines and not lines[-1].strip():
        lines.pop()
    indents = [_indent(line) for line in lines if line.strip() and _indent(line) > 0]
    if lines and 0 < _indent(lines[-1]) <= min(indents):
        lines.pop()
    return lines


def _is_heading(lines: list[str], i: int, base: int, previous_text: str | None) -> bool:
    """A lone heading-like line at the base indent between blank lines, after a finished
    sentence (a lone line of a sentence broken by a column change is not one)."""
    line = lines[i].strip()
    alone = (i == 0 or not lines[i - 1].strip()) and (
        i + 1 == len(lines) or not lines[i + 1].strip()
    )
    return (
        alone
        and i > 0
        and _indent(lines[i]) == base
        and looks_like_heading(line)
        and (previous_text is None or ENDS_CLAUSE.search(previous_text) is not None)
    )


def _opening_title(line: str) -> tuple[str, str] | None:
    """(title, rest) when ``line`` opens an appendix or a chapter: the label, then the title's
    capitalised words up to bold text, a table, a unit or date line, or a sentence."""
    opener = _OPENER.match(line)
    if opener is None:
        return None
    words = line[opener.end() :].split()
    taken = 0
    for word in words:
        stop = (
            word.startswith(("**", "|", "["))
            or word in _TITLE_STOP
            or any(ch.isdigit() for ch in word)
            or not (word[0].isupper() or word in _TITLE_MINOR)
        )
        if stop or taken == TITLE_MAX_WORDS:
            break
        taken += 1
    while taken and words[taken - 1] in _TITLE_MINOR:
        taken -= 1
    if taken < TITLE_MIN_WORDS:
        return None  # "Chapter 3 includes ...": a sentence about a chapter
    title = " ".join([opener.group(0), *words[:taken]])
    return title, " ".join(words[taken:])


def _canonical(body: list[str]) -> str:
    indents = [_indent(line) for line in body if line.strip() and _indent(line) > 0]
    base = min(indents) if indents else 0
    out: list[str] = []
    previous_text: str | None = None
    first = next((i for i, line in enumerate(body) if line.strip()), None)
    for i, line in enumerate(body):
        text = line.strip()
        opening = _opening_title(text) if i == first else None
        if not text:
            out.append("")
        elif opening is not None:
            title, rest = opening
            out.extend(["", f"# {title}", ""])
            if rest:
                out.append(rest)
                previous_text = rest
            else:
                previous_text = None
        elif _is_heading(body, i, base, previous_text):
            out.extend(["", f"# {text}", ""])
            previous_text = None
        else:
            if indents and _indent(line) > base:
                out.append("")
            out.append(text)
            previous_text = text
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")


def parse_page_export(text: str, path: str, *, origin: str | None = None) -> ExportPage:
    """Parse one exported page; raises ``IngestError`` when the header is missing or bad.

    ``origin`` (default: ``path``) is where the page is recorded as coming from.
    """
    found = _header(text)
    if found is None:
        raise IngestError(path, "not a page export: expected 'Page N - TITLE' then 'P. N'")
    header, page_line = found
    number = int(header["number"])
    if int(page_line["number"]) != number:
        raise IngestError(
            path, f"header says page {number} but the next line says P. {page_line['number']}"
        )
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    body = _strip_footer(lines[2:])
    return ExportPage(header["title"], number, _canonical(body), origin or path)


def _slug(title: str) -> str:
    return _SLUG_DROP.sub("-", title.lower()).strip("-_") or "document"


def book_source(origins: Iterable[str]) -> str:
    """How a book names where it comes from: the folder(s) holding its page files."""
    folders = sorted({PurePath(origin).parent.name or "/" for origin in origins})
    return ", ".join(f"{folder.rstrip('/')}/" for folder in folders)


def group_page_exports(pages: Sequence[ExportPage]) -> list[Document]:
    """One book (a ``Document`` whose pages know their files) per title, in page order.

    A page number seen twice for a title keeps the first file (in the given order).
    """
    by_title: dict[str, dict[int, ExportPage]] = {}
    for page in pages:
        numbered = by_title.setdefault(page.title, {})
        if page.number in numbered:
            logger.warning(
                "%s: page %d of %r already read from %s; skipped",
                page.origin,
                page.number,
                page.title,
                numbered[page.number].origin,
            )
            continue
        numbered[page.number] = page
    documents = []
    for title, numbered in by_title.items():
        ordered = [numbered[n] for n in sorted(numbered)]
        documents.append(
            Document(
                id=_slug(title),
                title=title,
                pages=tuple(Page(page.number, page.text, page.origin) for page in ordered),
                source=book_source(page.origin for page in ordered),
            )
        )
    return documents
