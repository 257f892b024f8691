"""Index backends that keep chunks, pages and vectors outside the index folder (Milvus)."""
