"""What the chat's Documents tab and the JSON API both do to the index: index saved uploads,
and remove a document together with its uploaded file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ui.uploads import discard_upload, is_upload

if TYPE_CHECKING:
    from qa import AddSummary
    from qa.engine import Engine
    from qa.ingest import Progress


def index_uploads(
    engine: Engine, saved: Sequence[Path], upload_dir: Path, progress: Progress | None = None
) -> AddSummary:
    """Index files ``save_upload`` wrote into ``upload_dir``; afterwards every upload that no
    document comes from is deleted: the new files nothing was indexed from (unreadable, or a
    copy of a file already indexed unchanged) and the earlier copies of replaced documents.

    A file with an error keeps its place on disk when documents came from it anyway (a JSON
    Lines file with one bad line): removing those documents later deletes it.
    """
    before = {d.doc_id: d.origin for d in engine.documents()}
    try:
        summary = engine.add(list(saved), progress=progress)
    except BaseException:
        for path in saved:
            discard_upload(path)
        raise
    indexed = _origins(engine)
    replaced = [before.get(doc_id) for doc_id in summary.updated]
    for path in [*saved, *(Path(origin) for origin in replaced if origin)]:
        if path.resolve() not in indexed and is_upload(path, upload_dir):
            discard_upload(path)
    return summary


def remove_document(engine: Engine, doc_id: str, upload_dir: Path) -> AddSummary:
    """Remove ``doc_id`` from the index, then its file if it was an upload, with any earlier
    copy of that file no other document comes from.

    Raises ``UnknownDocument`` when the index does not hold ``doc_id``.
    """
    origin = next((d.origin for d in engine.documents() if d.doc_id == doc_id), None)
    summary = engine.remove(doc_id)
    if origin is not None and is_upload(origin, upload_dir):
        indexed = _origins(engine)
        # Uploads keep their file name (under a random folder): copies left by replacing
        # the file before replaced uploads were deleted share it.
        for path in upload_dir.glob(f"*/{Path(origin).name}"):
            if path.resolve() not in indexed and is_upload(path, upload_dir):
                discard_upload(path)
    return summary


def _origins(engine: Engine) -> set[Path]:
    return {Path(d.origin).resolve() for d in engine.documents() if d.origin}
