"""Storage: the index folder (SQLite catalog, FAISS/BM25 snapshots, manifest) and Milvus."""
