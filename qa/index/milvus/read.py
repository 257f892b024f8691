"""Reads every part of a Milvus index needs: whole scans and the version each document is at."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pymilvus import MilvusClient

from qa.index.milvus.rows import doc_filter
from qa.index.milvus.schema import Collections

# Milvus answers at most this many rows per query (offset + limit).
_WINDOW = 16_384
_SCAN_BATCH = 1000


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
