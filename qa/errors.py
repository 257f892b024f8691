"""The errors callers are expected to catch: one base class, one subclass per kind of trouble.

A program that wants every citeqa failure catches ``CiteqaError``. Errors that a caller caused
with a bad argument also derive from the builtin they replace (``ValueError``, ``KeyError``), so
code written against those keeps working.
"""

from __future__ import annotations


class CiteqaError(Exception):
    """Base of every error citeqa raises on purpose."""


class InvalidQuestion(CiteqaError, ValueError):
    """A question, ``k``, mode or filter that cannot be searched (the message says why)."""


class FeedbackTooLarge(InvalidQuestion):
    """A verdict with a field over its limit; the message names the field and the limit."""


class UnknownDocument(CiteqaError, KeyError):
    """A document id that is not in the index."""

    def __str__(self) -> str:
        # KeyError would print the message in quotes.
        return str(self.args[0]) if self.args else "unknown document"


class IngestError(CiteqaError):
    """A file could not be read or parsed. The message names the path and the reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexNotFound(CiteqaError):
    """No index at the given folder (reading never creates one)."""


class IndexCorrupt(CiteqaError):
    """The index folder cannot be used as it is; the message says how to recover."""


class ModelMismatch(CiteqaError):
    """The index was built with another embedding model."""


class IndexBusy(CiteqaError):
    """Another process is writing to the index folder and the caller chose not to wait."""


class ModelError(CiteqaError):
    """The embedding model cannot be found or loaded."""


class LanguageModelError(CiteqaError):
    """The configured language model failed or answered with something unusable."""
