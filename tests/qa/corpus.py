"""Small invented documents for engine, store and indexer tests, and the chunks of one."""

from __future__ import annotations

from qa.clean.paragraphs import paragraphs
from qa.indexing.chunking import chunk_paragraphs
from qa.settings import Settings
from qa.types import Chunk, Document, Page


def chunk_document(doc: Document, settings: Settings | None = None) -> list[Chunk]:
    """Chunks of ``doc`` as given (not cleaned first), in reading order."""
    return chunk_paragraphs(doc, paragraphs(doc), settings)


ARCTIC = Document(
    id="northland-2031",
    title="Northland Defence Review 2031",
    pages=(
        Page(
            12,
            "# Arctic posture\n\nThe Northland navy will commission four ice-capable patrol "
            "vessels by 2034 to guard the northern sea lanes. Each vessel carries a helicopter "
            "and a crew of sixty sailors trained for polar operations.\n\nThe coast guard "
            "shares radar data with the navy through a joint maritime operations centre.",
        ),
        Page(
            13,
            "# Budget\n\nDefence spending rises to 2.4 percent of gross domestic product by "
            "2030, with most of the increase funding air defence batteries and ammunition "
            "stockpiles. Parliament reviews the procurement plan every two years.",
        ),
    ),
    source="northland.txt",
)

DESERT = Document(
    id="southmark-2029",
    title="Southmark Security Strategy 2029",
    pages=(
        Page(
            4,
            "# Border security\n\nSouthmark deploys solar-powered surveillance towers along "
            "its desert frontier to detect smuggling convoys. Drone squadrons patrol the "
            "oasis towns at night and report to regional command posts.",
        ),
        Page(
            5,
            "# Water\n\nWater scarcity is named a national security risk because aquifers "
            "beneath the capital are falling by one metre a year. The army engineers build "
            "desalination plants on the coast to supply garrisons.",
        ),
    ),
    source="southmark.txt",
)


def export_page(title: str, number: int, body: str, *, continues: bool = False) -> str:
    """``body`` as the users' export tool writes page ``number`` of ``title``: header, body
    wrapped at a base indent (one space deeper opens a paragraph), running title, number strip.

    ``continues`` says the page opens in the middle of a paragraph from the page before.
    """
    base = " " * 28
    lines = [f"Page {number} - {title}", f"P. {number}", ""]
    for i, paragraph in enumerate(body.split("\n\n")):
        words = paragraph.split()
        wrapped = [" ".join(words[j : j + 12]) for j in range(0, len(words), 12)]
        opening = base if i == 0 and continues else base + " "
        lines.append(opening + wrapped[0])
        lines.extend(base + line for line in wrapped[1:])
    strip = "\u00a0  \u00a0".join(str(n) for n in range(max(1, number - 2), number + 3))
    lines += ["", " " * 15 + title, f"\u00a0  \u00a0{strip}"]
    return "\n".join(lines) + "\n"


HARBOUR = "Harbour Works Plan"


_STONES = [
    "granite",
    "basalt",
    "limestone",
    "sandstone",
    "marble",
    "slate",
    "gneiss",
    "quartzite",
    "flint",
    "chalk",
]
_TIMES = ["dawn", "noon", "dusk", "midnight", "morning", "evening"]


def harbour_page(number: int) -> str:
    """Page ``number`` of an invented book whose every page ends mid-sentence."""
    stone, time = _STONES[number % len(_STONES)], _TIMES[number % len(_TIMES)]
    body = (
        f"the breakwater section {number} was rebuilt with {stone} blocks in year "
        f"{1900 + 7 * number}. Crews on pier {number * 3} logged tide heights at {time} and "
        f"sent them to harbour master no. {number + 40}. "
        f"The board then asked the {time} dredging crews of basin {number + 60} and the "
        f"{stone} quay team to plan for"
    )
    return export_page(HARBOUR, number, body, continues=number > 1)
