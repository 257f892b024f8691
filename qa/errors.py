"""The error types callers are expected to catch."""

from __future__ import annotations


class IngestError(Exception):
    """A file could not be read or parsed. The message names the path and the reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexError_(Exception):
    """Base for index folder problems (kept distinct from the builtin IndexError)."""


class ModelMismatchError(IndexError_):
    """The index was built with another embedding model."""
