"""Reads of a Milvus index: whole scans, the version each document is at, and the documents,
pages, chunks and vectors of those versions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from pymilvus import MilvusClient

from qa.index.milvus.rows import (
    CHUNK_OUTPUT,
    PAGE_OUTPUT,
    StoredPage,
    chunk_from_row,
    doc_filter,
    pages_from_rows,
    quote,
)
from qa.index.milvus.schema import Collections
from qa.types import Chunk

# Milvus answers at most this many rows per query (offset + limit).
_WINDOW = 16_384
_SCAN_BATCH = 1000
# Ids per ``in [...]`` filter.
_ID_BATCH = 500
_DOCUMENT_FIELDS = (
    "doc_id",
    "version",
    "title",
    "source",
    "origin",
    "content_hash",
    "page_count",
    "chunks",
    "added_at",
)


def scan(
    client: MilvusClient, collection: str, where: str, fields: Sequence[str]
) -> list[dict[str, Any]]:
    """Every row matching ``where``, however many.

    One query when they fit in Milvus's largest result window (the usual case); a query
    iterator otherwise (which against Milvus Lite logs a harmless warning).
    """
    rows = client.query(collection, filter=where, output_fields=list(fields), limit=_WINDOW)
    if len(rows) < _WINDOW:
        return list(rows)
    pages = client.query_iterator(
        collection, batch_size=_SCAN_BATCH, filter=where, output_fields=list(fields)
    )
    found: list[dict[str, Any]] = []
    try:
        while batch := pages.next():
            found.extend(batch)
    finally:
        pages.close()
    return found


def current_versions(
    client: MilvusClient, names: Collections, doc_ids: Iterable[str]
) -> dict[str, str]:
    """Document id -> the version its rows must have to be seen (absent: not indexed)."""
    wanted = list(dict.fromkeys(doc_ids))
    if not wanted:
        return {}
    rows = client.query(
        names.documents, filter=doc_filter(wanted), output_fields=["doc_id", "version"]
    )
    return {row["doc_id"]: row["version"] for row in rows}


def document_rows(client: MilvusClient, names: Collections) -> list[dict[str, Any]]:
    """One row per indexed document: its current version and what ``DocumentInfo`` shows."""
    return scan(client, names.documents, 'doc_id != ""', _DOCUMENT_FIELDS)


def page_origins(client: MilvusClient, names: Collections) -> dict[str, tuple[str, int]]:
    """Page file path -> (doc id, page number), for the pages of books."""
    versions = {row["doc_id"]: row["version"] for row in document_rows(client, names)}
    fields = ("doc_id", "version", "number", "origin")
    rows = scan(client, names.pages, "part == 0", fields)
    return {
        row["origin"]: (row["doc_id"], int(row["number"]))
        for row in rows
        if row["origin"] and versions.get(row["doc_id"]) == row["version"]
    }


def stored_pages(
    client: MilvusClient, names: Collections, doc_id: str, numbers: Sequence[int] | None = None
) -> dict[int, StoredPage]:
    """Page number -> page of ``doc_id``'s current version (only ``numbers``, if given)."""
    version = current_versions(client, names, [doc_id]).get(doc_id)
    if version is None:
        return {}
    where = f"doc_id == {quote(doc_id)} and version == {quote(version)}"
    if numbers is not None:
        where += f" and number in [{', '.join(str(int(n)) for n in numbers)}]"
    return pages_from_rows(scan(client, names.pages, where, PAGE_OUTPUT))


def document_chunks(client: MilvusClient, names: Collections, doc_id: str) -> list[Chunk]:
    """The chunks of ``doc_id`` at its current version, in document order."""
    version = current_versions(client, names, [doc_id]).get(doc_id)
    if version is None:
        return []
    where = f"doc_id == {quote(doc_id)} and version == {quote(version)}"
    rows = scan(client, names.chunks, where, (*CHUNK_OUTPUT, "position"))
    return [chunk_from_row(row) for row in sorted(rows, key=lambda row: row["position"])]


def vectors_by_key(
    client: MilvusClient, names: Collections, embed_keys: Iterable[str]
) -> dict[str, np.ndarray]:
    """Embed key -> (dimension,) float32 vector, for the keys some stored chunk has."""
    found: dict[str, np.ndarray] = {}
    keys = list(dict.fromkeys(embed_keys))
    for start in range(0, len(keys), _ID_BATCH):
        batch = keys[start : start + _ID_BATCH]
        where = f"embed_key in [{', '.join(quote(k) for k in batch)}]"
        for row in scan(client, names.chunks, where, ("embed_key", "vector")):
            found[row["embed_key"]] = np.asarray(row["vector"], dtype=np.float32)
    return found


def chunks_by_id(
    client: MilvusClient, names: Collections, chunk_ids: Sequence[str]
) -> dict[str, Chunk]:
    """Chunk id -> chunk, for the ids stored at their document's current version."""
    found: dict[str, Chunk] = {}
    ids = list(dict.fromkeys(chunk_ids))
    for start in range(0, len(ids), _ID_BATCH):
        where = f"id in [{', '.join(quote(i) for i in ids[start : start + _ID_BATCH])}]"
        rows = scan(client, names.chunks, where, CHUNK_OUTPUT)
        versions = current_versions(client, names, {r["doc_id"] for r in rows})
        for row in rows:
            if versions.get(row["doc_id"]) == row["version"]:
                found[row["id"]] = chunk_from_row(row)
    return found
