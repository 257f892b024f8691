"""Data that crosses module boundaries: small frozen dataclasses, and the labels they show.

The ground floor: imports nothing from ``qa``. Importers take every name from ``qa.types``;
the submodules group them by stage: ``documents`` (pages, documents, blocks, paragraphs),
``chunks`` (chunks and hits), ``answers`` (answers and citations), ``labels`` (how pages,
sources and tables are written out).
"""

from __future__ import annotations

from qa.types.answers import SURE_CONFIDENCE, Answer, Citation
from qa.types.chunks import Chunk, Hit, chunk_id
from qa.types.documents import (
    BLOCK_KINDS,
    CAPTION,
    FIGURE,
    FOOTNOTE,
    HEADING,
    PARAGRAPH,
    SIDE_HEADING,
    TABLE,
    Block,
    Document,
    Page,
    Paragraph,
)
from qa.types.labels import (
    CELL_JOINER,
    block_name,
    markdown_table,
    pages_label,
    place_label,
    row_text,
    source_label,
    table_rows,
)

__all__ = [
    "BLOCK_KINDS",
    "CAPTION",
    "CELL_JOINER",
    "FIGURE",
    "FOOTNOTE",
    "HEADING",
    "PARAGRAPH",
    "SIDE_HEADING",
    "SURE_CONFIDENCE",
    "TABLE",
    "Answer",
    "Block",
    "Chunk",
    "Citation",
    "Document",
    "Hit",
    "Page",
    "Paragraph",
    "block_name",
    "chunk_id",
    "markdown_table",
    "pages_label",
    "place_label",
    "row_text",
    "source_label",
    "table_rows",
]
