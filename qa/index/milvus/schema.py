"""The Milvus collections of one citeqa index: their fields, indexes and names, and the model
row that says whose vectors they hold."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pymilvus import CollectionSchema, DataType, Function, FunctionType, MilvusClient
from pymilvus.exceptions import MilvusException

from qa.errors import IndexCorrupt, ModelMismatch
from qa.index.milvus.rows import DUMMY_DIM, DUMMY_VECTOR, MAX_ARRAY, MAX_VARCHAR_BYTES, quote

logger = logging.getLogger(__name__)

_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,200}")
_KEY_BYTES = 256
FORMAT_VERSION = 1
_MODEL_KEY = "model"
# Milvus reads BM25 with k1=1.2 unless told; citeqa's folder backend (bm25s) uses 1.5.
BM25_PARAMS = {"bm25_k1": 1.5, "bm25_b": 0.75}


@dataclass(frozen=True)
class DenseIndex:
    """How chunk vectors are indexed: ``FLAT`` (exact) or ``HNSW`` with its graph degree
    ``m``, build breadth ``ef_construction`` and search breadth ``ef`` (raised to the
    number of results asked for, which Milvus requires).

    The default, HNSW M=16 efConstruction=200 ef=128, was measured in Milvus Lite with the
    bundled MiniLM's vectors of the corpus chunks (real ones up to ~35k, then real ones plus
    noise) and the dev-set questions: recall@10 against exact search 0.977 / 0.980 / 0.974
    at 25k / 100k / 200k vectors, search p50 35 / 132 / 136 ms against FLAT's 79 / 319 /
    565 ms (Lite's own per-call cost dominates; FAISS alone, the same HNSW takes 0.3-0.6 ms
    to FLAT's 3-30 ms). ef=64 falls to 0.95 at 100k; IVF_FLAT needs nprobe=64 of
    4*sqrt(n) lists for 0.97.
    """

    index_type: str = "HNSW"
    m: int = 16
    ef_construction: int = 200
    ef: int = 128

    def __post_init__(self) -> None:
        if self.index_type not in ("FLAT", "HNSW"):
            raise ValueError(f"index_type must be 'FLAT' or 'HNSW', got {self.index_type!r}")
        for name in ("m", "ef_construction", "ef"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")

    def build_params(self) -> dict[str, int]:
        if self.index_type == "HNSW":
            return {"M": self.m, "efConstruction": self.ef_construction}
        return {}

    def search_params(self, limit: int) -> dict[str, int]:
        if self.index_type == "HNSW":
            return {"ef": max(self.ef, limit)}
        return {}


@dataclass(frozen=True)
class Collections:
    """Collection names of one index: ``PREFIX_meta``, ``_documents``, ``_pages``, ``_chunks``."""

    meta: str
    documents: str
    pages: str
    chunks: str

    @classmethod
    def named(cls, prefix: str) -> Collections:
        if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
            raise ValueError(
                f"collection prefix must be a letter or _ then letters, digits or _, got {prefix!r}"
            )
        return cls(f"{prefix}_meta", f"{prefix}_documents", f"{prefix}_pages", f"{prefix}_chunks")

    def all(self) -> tuple[str, ...]:
        return (self.meta, self.documents, self.pages, self.chunks)


def _text(schema: CollectionSchema, name: str, *, nullable: bool = False, **params: Any) -> None:
    schema.add_field(
        name, DataType.VARCHAR, max_length=MAX_VARCHAR_BYTES, nullable=nullable, **params
    )


def _schema(primary: str) -> CollectionSchema:
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field(primary, DataType.VARCHAR, is_primary=True, max_length=MAX_VARCHAR_BYTES)
    return schema


def meta_schema() -> CollectionSchema:
    schema = _schema("key")
    _text(schema, "value")
    schema.add_field("dummy", DataType.FLOAT_VECTOR, dim=DUMMY_DIM)
    return schema


def document_schema() -> CollectionSchema:
    schema = _schema("doc_id")
    schema.add_field("version", DataType.VARCHAR, max_length=_KEY_BYTES)
    _text(schema, "title")
    _text(schema, "source", nullable=True)
    _text(schema, "origin", nullable=True)
    _text(schema, "content_hash")
    schema.add_field("page_count", DataType.INT64)
    schema.add_field("chunks", DataType.INT64)
    schema.add_field("added_at", DataType.DOUBLE)
    schema.add_field("dummy", DataType.FLOAT_VECTOR, dim=DUMMY_DIM)
    return schema


def page_schema() -> CollectionSchema:
    schema = _schema("key")
    _text(schema, "doc_id")
    schema.add_field("version", DataType.VARCHAR, max_length=_KEY_BYTES)
    schema.add_field("number", DataType.INT64)
    schema.add_field("part", DataType.INT64)
    _text(schema, "text")
    _text(schema, "raw")
    schema.add_field("has_raw", DataType.BOOL)
    _text(schema, "origin", nullable=True)
    schema.add_field("dummy", DataType.FLOAT_VECTOR, dim=DUMMY_DIM)
    return schema


def chunk_schema(dimension: int) -> CollectionSchema:
    schema = _schema("key")
    schema.add_field("id", DataType.VARCHAR, max_length=_KEY_BYTES)
    _text(schema, "doc_id")
    schema.add_field("version", DataType.VARCHAR, max_length=_KEY_BYTES)
    schema.add_field("position", DataType.INT64)
    _text(schema, "title")
    schema.add_field("pages", DataType.ARRAY, element_type=DataType.INT64, max_capacity=MAX_ARRAY)
    _text(schema, "section", nullable=True)
    _text(schema, "source", nullable=True)
    schema.add_field("kind", DataType.VARCHAR, max_length=_KEY_BYTES)
    schema.add_field("embed_key", DataType.VARCHAR, max_length=_KEY_BYTES)
    _text(schema, "lexical", enable_analyzer=True, analyzer_params={"tokenizer": "standard"})
    _text(schema, "text")
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_function(
        Function(
            name="bm25",
            function_type=FunctionType.BM25,
            input_field_names=["lexical"],
            output_field_names=["sparse"],
        )
    )
    return schema


def _index_params(
    client: MilvusClient,
    vector: str,
    metric: str,
    params: dict[str, Any],
    index_type: str,
    scalars: tuple[str, ...],
) -> Any:
    indexes = client.prepare_index_params()
    indexes.add_index(field_name=vector, index_type=index_type, metric_type=metric, params=params)
    for field in scalars:
        indexes.add_index(field_name=field, index_type="INVERTED")
    return indexes


def create_missing(
    client: MilvusClient, names: Collections, dimension: int, dense: DenseIndex
) -> None:
    """Create the collections that do not exist yet, indexed and loaded.

    Another process may be creating them at the same moment: a collection that appeared in
    between counts as created.
    """
    plans = {
        names.meta: (meta_schema(), "dummy", "L2", {}, "FLAT", ()),
        names.documents: (document_schema(), "dummy", "L2", {}, "FLAT", ()),
        names.pages: (page_schema(), "dummy", "L2", {}, "FLAT", ("doc_id",)),
        names.chunks: (
            chunk_schema(dimension),
            "vector",
            "IP",
            dense.build_params(),
            dense.index_type,
            ("doc_id", "embed_key"),
        ),
    }
    for name, (schema, vector, metric, params, index_type, scalars) in plans.items():
        if client.has_collection(name):
            continue
        indexes = _index_params(client, vector, metric, params, index_type, scalars)
        if name == names.chunks:
            indexes.add_index(
                field_name="sparse",
                index_type="SPARSE_INVERTED_INDEX",
                metric_type="BM25",
                params=BM25_PARAMS,
            )
        try:
            # Strong consistency: a search sees every write acknowledged before it began,
            # whichever process made it.
            client.create_collection(name, schema=schema, consistency_level="Strong")
        except MilvusException:
            if not client.has_collection(name):
                raise
            continue
        # Not waited for: the collections start empty, and Milvus Lite cannot report index
        # progress (pymilvus's wait asks for a server timestamp Lite does not give).
        client.create_index(name, indexes, sync=False)
        logger.info("created Milvus collection %s", name)


def stored_model(client: MilvusClient, names: Collections) -> dict[str, Any] | None:
    """The model the index's vectors come from, None while the index is still being created."""
    rows = client.query(names.meta, filter=f"key == {quote(_MODEL_KEY)}", output_fields=["value"])
    return json.loads(rows[0]["value"]) if rows else None


def record_model(
    client: MilvusClient, names: Collections, fingerprint: str, dimension: int
) -> dict[str, Any]:
    """Write the model row; written last, as collections without it are an index still being
    created."""
    model = {"fingerprint": fingerprint, "dimension": dimension, "format": FORMAT_VERSION}
    client.upsert(
        names.meta, [{"key": _MODEL_KEY, "value": json.dumps(model), "dummy": DUMMY_VECTOR}]
    )
    return model


def check_model(model: Mapping[str, Any], fingerprint: str, dimension: int, where: str) -> None:
    """``IndexCorrupt`` for another index format, ``ModelMismatch`` for another model."""
    if model.get("format") != FORMAT_VERSION:
        raise IndexCorrupt(
            f"{where} has index format {model.get('format')}, this version reads "
            f"{FORMAT_VERSION}; rebuild it under a new collection prefix"
        )
    if model.get("fingerprint") != fingerprint or model.get("dimension") != dimension:
        raise ModelMismatch(
            f"{where} holds vectors of model {model.get('fingerprint')!r} "
            f"({model.get('dimension')} dimensions), not {fingerprint!r} ({dimension}); "
            "open it with the same model, or rebuild it under a new collection prefix"
        )
