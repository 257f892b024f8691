"""Indexing: sources -> documents -> cleaned pages -> chunks -> vectors -> one committed update.

One path serves ``Engine.add`` (and so the HTTP API's uploads and ``citeqa index``),
``Engine.remove`` and ``citeqa chunks``:

- ``pipeline``: reading sources (``SourceReading``: files, folders and given ``Document``s,
  and the ``Scan`` of what a read covered), the chunking ``recipe``, ``content_hash``, and
  cleaning + chunking (``prepare_documents``; ``chunk_paths`` for ``citeqa chunks``);
- ``chunking``: paragraphs and blocks cut into chunks;
- ``books``: page exports completed from the pages already indexed;
- ``update``: plan an update (clean, chunk, embed what the cache lacks) and apply it;
- ``batches``: an update streamed through a spool in bounded batches, under the writer lock;
- ``writer``: the engine's write path: the writer locks, catching up with other processes.

May import the ground floor (``qa.types``, ``qa.settings``, ``qa.errors``, ``qa.text``,
``qa.encoder``), ``qa.ingest``, ``qa.clean``, ``qa.index`` and ``qa.rwlock``; not
``qa.retrieval`` or ``qa.answer``, nor the engine above it.
"""
