"""The write path of one open index, and the lock that keeps searches out of its switch-overs.

Adding and removing documents go the same way (``update``): one writer at a time, in this
process (a mutex) and across processes (the index's writer lock); searches share the index
through ``reading`` and wait only while an update switches over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from qa.encoder import Encoder
from qa.index.base import Index
from qa.rwlock import ReadWriteLock
from qa.settings import Settings

# Reading files (pypdf, BeautifulSoup, python-docx) costs ~0.3 s to import: a process that
# only searches imports the update modules where they are used below.
if TYPE_CHECKING:
    from qa.indexing.pipeline import Source
    from qa.indexing.update import AddSummary
    from qa.ingest import Progress

logger = logging.getLogger(__name__)


class Writer:
    """Updates ``index`` and guards it for the searches running meanwhile."""

    def __init__(self, index: Index, encoder: Encoder, settings: Settings) -> None:
        self.index = index
        self.encoder = encoder
        self.settings = settings
        self.lock = ReadWriteLock()
        self._mutex = threading.Lock()

    def update(
        self,
        sources: Sequence[Source],
        *,
        remove: Sequence[str] = (),
        progress: Progress | None = None,
        wait: bool = True,
    ) -> AddSummary:
        """Index ``sources`` and drop the documents ``remove`` names, as one streamed update
        (see ``qa.indexing.batches``); another process writing is waited for (``wait``) or
        refused with ``IndexBusy``."""
        from qa.indexing.batches import stream_update

        summary = stream_update(
            self.index,
            self.encoder,
            sources,
            settings=self.settings,
            writing=lambda: self._writing(wait),
            exclusive=self.lock.write,
            remove=remove,
            progress=progress,
        )
        logger.info("indexed: %s", summary)
        return summary

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Share the index with other searches, caught up with what other processes
        published."""
        self.catch_up()
        with self.lock.read():
            yield

    @contextmanager
    def _writing(self, wait: bool) -> Iterator[None]:
        """One writer at a time, in this process and across processes."""
        with self._mutex, self.index.writing(wait=wait):
            # Another process may have published since this one last looked.
            self.catch_up()
            yield

    def catch_up(self) -> None:
        """Switch to a generation another process published, if there is one."""
        if self.index.changed_on_disk():
            with self.lock.write():
                if self.index.changed_on_disk():
                    self.index.reload()

    def close(self) -> None:
        """Close the index once running searches are done."""
        with self.lock.write():
            self.index.close()
