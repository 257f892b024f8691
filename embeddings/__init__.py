"""Embedding model wrapper and vector index."""
