"""Ranking: the retrievers (dense, BM25), their weighted reciprocal rank fusion and near-duplicate
removal.

Owns how chunks are ranked for a question, not how they are stored or searched: any index
satisfying ``qa.index.base.ChunkSource`` plugs in. Imports the ground floor (``qa.types``,
``qa.settings``, ``qa.text``) and ``qa.index.base`` (the search protocols and ``Ranking``).
"""
