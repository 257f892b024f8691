"""Storage: where the documents, pages, chunks and vectors of an index live, and their searches.

``base`` says what every backend offers (``Index``, the search protocols, ``Ranking``),
``records`` what an index keeps of a document, ``factory`` which backend the settings name;
``folder/`` is the index folder (SQLite, FAISS, BM25) and ``milvus/`` a Milvus collection.
Imports the ground floor (``qa.types``, ``qa.settings``, ``qa.errors``, ``qa.text``) and
``embeddings/``; nothing of the stages above (retrieval, answer, engine).
"""
