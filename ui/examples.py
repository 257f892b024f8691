"""The invented example collection: what ``citeqa serve`` indexes into an empty index so the
chat can be tried at once, how the chat tells its documents apart, and dropping it once the
user's own documents arrive."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qa import DocumentInfo, load_paths

if TYPE_CHECKING:
    from qa import Engine

logger = logging.getLogger(__name__)

EXAMPLE_DIR = Path(__file__).with_name("example")
EXAMPLE_MARK = "invented example"


@functools.cache
def _example_documents() -> frozenset[tuple[str, str | None]]:
    """The (id, source) of each document the example folder makes, as the loaders name them."""
    return frozenset((d.id, d.source) for d in load_paths([EXAMPLE_DIR]).documents)


def is_example(document: DocumentInfo) -> bool:
    """True for a document read from the example folder: its source names that folder and its
    id is one the folder makes (a user's own folder that happens to be called "example" holds
    other documents)."""
    return (document.doc_id, document.source) in _example_documents()


def example_ids(documents: Sequence[DocumentInfo]) -> frozenset[str]:
    return frozenset(d.doc_id for d in documents if is_example(d))


def drop_examples(engine: Engine) -> tuple[DocumentInfo, ...]:
    """Remove the example documents once the index holds documents of the user's own, through
    the engine's public ``remove``; returns the ones removed (none while the example is all
    the index holds)."""
    documents = engine.documents()
    examples = tuple(d for d in documents if is_example(d))
    if len(examples) == len(documents):
        return ()
    for document in examples:
        engine.remove(document.doc_id)
        logger.info(
            "removed the %s %r: the index holds your own documents now",
            EXAMPLE_MARK,
            document.title,
        )
    return examples
