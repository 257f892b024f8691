"""Conversation exports: written only when asked, owner-only, and removed again.

Each export is ``<private folder>/<random>/citeqa-conversation.md`` (folders 0700, file 0600).
Gradio copies a returned file into its own cache at once, so the export itself is needed only
for a moment: ``sweep`` removes exports older than ``EXPORT_SECONDS`` (the server runs it every
``SWEEP_SECONDS``) and ``close`` removes the folder at shutdown. Gradio's copies, and its copies
of uploaded files, go by its own ``delete_cache`` timer (``GRADIO_CACHE_SECONDS``).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

logger = logging.getLogger(__name__)

EXPORT_NAME = "citeqa-conversation.md"
EXPORT_SECONDS = 300
SWEEP_SECONDS = 60
# Long enough for a reader to choose files and press "Add to index" after uploading them.
GRADIO_CACHE_SECONDS = 3600


class Exports:
    """The export folder of one server; created on the first export."""

    def __init__(self) -> None:
        self._root: Path | None = None

    def write(self, text: str) -> Path:
        """``text`` saved as a new owner-only export file; its path."""
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="citeqa-export-"))
        folder = self._root / uuid.uuid4().hex
        folder.mkdir(mode=0o700)
        path = folder / EXPORT_NAME
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with os.fdopen(os.open(path, flags, 0o600), "w", encoding="utf-8") as out:
            out.write(text)
        return path

    def sweep(self, older_than: float = EXPORT_SECONDS) -> None:
        """Remove exports written more than ``older_than`` seconds ago."""
        if self._root is None:
            return
        cutoff = time.time() - older_than
        for folder in self._root.iterdir():
            if folder.lstat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        """Remove every export and the folder."""
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
