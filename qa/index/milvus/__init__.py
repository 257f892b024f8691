"""The Milvus backend: the index kept in a Milvus collection (or a Milvus Lite ``.db`` file).

Imports the ground floor, ``embeddings/``, ``qa.index.base``/``qa.index.records`` and the
folder layout (this machine's embedding cache); never the retrieval or answer stages above it.
"""
