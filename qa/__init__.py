"""citeqa: question answering over long documents with exact page citations.

The public surface: ``Engine``, every type it takes or gives back, and the few rules a program
serving it shares with qa's own servers (the access checks, the served file, the "Sources"
list, the pieces of a ``citeqa`` subcommand). ``ui`` imports only this module and
``qa.errors``.

Types from the ground floor are imported here; anything that loads more (the engine with
FAISS and numpy, the readers, the analyst features, the command line) is imported on first
use through ``__getattr__``, so that ``import qa`` stays quick for loaders and short commands.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from qa.errors import CiteqaError, IngestError
from qa.index.records import DocumentInfo
from qa.settings import Settings, default_index_dir
from qa.types import (
    Answer,
    Chunk,
    Citation,
    Document,
    Hit,
    Page,
    block_name,
    markdown_table,
    pages_label,
    place_label,
)

if TYPE_CHECKING:
    from qa.access import API_TOKEN_ENV, authorized, challenge, is_loopback, same_secret
    from qa.analyst.conversation import Resolution, Turn, turn_from_json
    from qa.analyst.overview import DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS, Overview
    from qa.analyst.pages import PageView
    from qa.analyst.suggestions import Suggestion
    from qa.cli.command import (
        Command,
        add_access_options,
        add_index_options,
        checked_login,
        existing_paths,
    )
    from qa.encoder import Encoder
    from qa.engine import Engine
    from qa.indexing.update import AddSummary
    from qa.ingest import Progress, load_paths
    from qa.integrations.sources import answer_with_sources
    from qa.served import announced

# Name -> the module that defines it, imported when the name is first asked for.
_LAZY = {
    "Engine": "qa.engine",
    "Encoder": "qa.encoder",
    "AddSummary": "qa.indexing.update",
    "Progress": "qa.ingest",
    "load_paths": "qa.ingest",
    "PageView": "qa.analyst.pages",
    "Overview": "qa.analyst.overview",
    "DEFAULT_SUGGESTIONS": "qa.analyst.overview",
    "MAX_SUGGESTIONS": "qa.analyst.overview",
    "Suggestion": "qa.analyst.suggestions",
    "Resolution": "qa.analyst.conversation",
    "Turn": "qa.analyst.conversation",
    "turn_from_json": "qa.analyst.conversation",
    # What every server applies: loopback unless a login guards it, secrets compared in
    # constant time (qa.access), and the file a running server leaves in its index folder.
    "API_TOKEN_ENV": "qa.access",
    "authorized": "qa.access",
    "challenge": "qa.access",
    "is_loopback": "qa.access",
    "same_secret": "qa.access",
    "announced": "qa.served",
    "answer_with_sources": "qa.integrations.sources",
    # What a package adding a ``citeqa`` subcommand (``citeqa.commands`` entry points) builds
    # it from, so that its options and refusals read like the built-in commands'.
    "Command": "qa.cli.command",
    "add_access_options": "qa.cli.command",
    "add_index_options": "qa.cli.command",
    "checked_login": "qa.cli.command",
    "existing_paths": "qa.cli.command",
}

__all__ = [
    "API_TOKEN_ENV",
    "DEFAULT_SUGGESTIONS",
    "MAX_SUGGESTIONS",
    "AddSummary",
    "Answer",
    "Chunk",
    "Citation",
    "CiteqaError",
    "Command",
    "Document",
    "DocumentInfo",
    "Encoder",
    "Engine",
    "Hit",
    "IngestError",
    "Overview",
    "Page",
    "PageView",
    "Progress",
    "Resolution",
    "Settings",
    "Suggestion",
    "Turn",
    "add_access_options",
    "add_index_options",
    "announced",
    "answer_with_sources",
    "authorized",
    "block_name",
    "challenge",
    "checked_login",
    "default_index_dir",
    "existing_paths",
    "is_loopback",
    "load_paths",
    "markdown_table",
    "pages_label",
    "place_label",
    "same_secret",
    "turn_from_json",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qa' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    # Cached, so the import is paid once and later lookups skip this function.
    globals()[name] = value
    return value
