"""The Milvus backend: the index kept in a Milvus collection (or a Milvus Lite ``.db`` file).

``index.MilvusIndex`` is the front (it satisfies ``qa.index.base.Index``); ``schema`` holds the
collections and the model row, ``rows`` what documents become as rows and back, ``read`` the
reads, ``search`` the dense and BM25 searches, ``update`` the versioned writes and ``lease``
the writer lease. Imports the ground floor, ``embeddings/``, ``qa.index.base``,
``qa.index.records`` and the folder layout (where this machine keeps its embedding cache);
never the retrieval or answer stages above it.
"""
