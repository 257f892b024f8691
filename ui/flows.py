"""What the chat's Documents tab and the JSON API both do to the index: index saved uploads,
and remove a document together with its uploaded file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ui.uploads import discard_upload, is_upload

if TYPE_CHECKING:
    from qa.engine import Engine
    from qa.indexer import AddSummary
    from qa.ingest import Progress


def index_uploads(
    engine: Engine, saved: Sequence[Path], progress: Progress | None = None
) -> AddSummary:
    """Index files ``save_upload`` wrote; the ones nothing was indexed from are deleted again.

    A file with an error keeps its place on disk when documents came from it anyway (a JSON
    Lines file with one bad line): removing those documents later deletes it.
    """
    try:
        summary = engine.add(list(saved), progress=progress)
    except BaseException:
        for path in saved:
            discard_upload(path)
        raise
    failed = {Path(error.path).resolve() for error in summary.errors}
    if failed:
        indexed = {Path(d.origin).resolve() for d in engine.documents() if d.origin}
        for path in saved:
            if path.resolve() in failed - indexed:
                discard_upload(path)
    return summary


def remove_document(engine: Engine, doc_id: str, upload_dir: Path) -> AddSummary:
    """Remove ``doc_id`` from the index, then its file if it was an upload.

    Raises ``UnknownDocument`` when the index does not hold ``doc_id``.
    """
    origin = next((d.origin for d in engine.documents() if d.doc_id == doc_id), None)
    summary = engine.remove(doc_id)
    if is_upload(origin, upload_dir):
        discard_upload(Path(origin))
    return summary
