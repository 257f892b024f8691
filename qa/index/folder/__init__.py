"""The index folder backend: SQLite catalog, FAISS and BM25 snapshots, manifest, locks.

``store.IndexStore`` is the front (it satisfies ``qa.index.base.Index``); ``catalog`` is SQLite
(documents, cleaned pages, chunks, generation), ``snapshots`` the derived FAISS/BM25 files and
the manifest naming them, ``view`` the searchable view of one generation, ``bm25`` the BM25
index, ``layout`` the folder's files and cross-process locks. Imports the ground floor,
``embeddings/`` and ``qa.index.base``/``qa.index.records``; never the retrieval or answer
stages above it.
"""
