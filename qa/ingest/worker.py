"""PDF and Word files parsed in a child process, bounded in time and memory.

Both formats unpack compressed parts, so a small file can cost minutes of CPU and gigabytes of
memory (a Word file of 100k one-letter runs packs 60x and takes minutes in python-docx). The
parent waits ``Settings.parse_seconds`` for each file and kills the child past it; the child
runs under an address-space limit of ``Settings.parse_memory_bytes``. Either way the file
becomes an ``IngestError`` like any other bad file.

One child serves a whole read (started at the first PDF or Word file, started again after a
kill), so a folder of many files pays for one process start. Text formats never come here:
their cost grows only with their size, which ``max_file_bytes`` caps.

The child is a fresh interpreter that imports the loaders and nothing else (not the caller's
``__main__``, which may hold a model), talking to the parent over a socket.
"""

from __future__ import annotations

import importlib
import logging
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection

from qa.errors import IngestError
from qa.ingest.detect import Format
from qa.settings import Settings
from qa.types import Document

logger = logging.getLogger(__name__)

BOUNDED_FORMATS = frozenset({Format.PDF, Format.DOCX})
# Python, pypdf, python-docx and lxml once imported, before any file is read.
_STARTUP_SECONDS = 30.0
_CHILD = "import sys; from qa.ingest.worker import serve; serve(*map(int, sys.argv[1:]))"


class ParseWorker:
    """Parses PDF and Word files for one read in a child process (see the module docstring).

    Not thread-safe: each read has its own. ``close`` ends the child.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None

    def load(self, format: Format, data: bytes, path: str, source: str | None) -> Document:
        """The document in ``data``; ``IngestError`` for a bad file, or one over the limits."""
        connection = self._started()
        deadline = self.settings.parse_seconds
        try:
            connection.send((format, data, path, source, self.settings))
            if not connection.poll(deadline):
                self.close()
                raise IngestError(
                    path,
                    f"took more than {deadline:g} s to read (parse_seconds); skipped as likely "
                    "hostile",
                )
            outcome, value = connection.recv()
        except (EOFError, OSError) as error:
            code = self._ended()
            raise IngestError(path, f"the reader process stopped (exit code {code})") from error
        if outcome == "error":
            raise IngestError(path, value)
        return value

    def _started(self) -> Connection:
        if self._connection is not None:
            return self._connection
        parent, child = socket.socketpair()
        started = time.perf_counter()
        with child:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _CHILD,
                    str(child.fileno()),
                    str(self.settings.parse_memory_bytes),
                ],
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
            )
        self._connection = Connection(parent.detach())
        if not self._connection.poll(_STARTUP_SECONDS) or self._connection.recv() != "ready":
            self.close()
            raise RuntimeError("the reader process did not start")
        logger.debug("reader process started in %.2f s", time.perf_counter() - started)
        return self._connection

    def _ended(self) -> int | None:
        """Close the connection and reap the child; its exit code."""
        process = self._process
        self.close()
        return None if process is None else process.returncode

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._process is not None:
            # Closing the socket ends an idle child; a busy one is past its deadline.
            self._process.kill()
            self._process.wait()
            self._process = None

    def __enter__(self) -> ParseWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parse(
    format: Format, data: bytes, path: str, source: str | None, settings: Settings
) -> Document:
    # Imported by the child only (``serve`` imports them before its memory limit): the parent
    # that indexes text files never pays ~150 ms for pypdf and python-docx.
    from qa.ingest.docx import load_docx
    from qa.ingest.pdf import load_pdf

    if format == Format.PDF:
        return load_pdf(data, path, source, settings)
    return load_docx(data, path, source, settings)


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def serve(fd: int, memory_bytes: int) -> None:
    """The child's loop: parse each file sent on socket ``fd`` and send back the outcome."""
    connection = Connection(fd)
    # A killed parent cannot kill a child busy with a file: the child notices on its own.
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    # The parsers load before the limit, as they did when this module imported them: the
    # limit is for what a file makes them allocate.
    importlib.import_module("qa.ingest.docx")
    importlib.import_module("qa.ingest.pdf")
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    connection.send("ready")
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        format, data, path, source, settings = request
        try:
            reply = ("document", _parse(format, data, path, source, settings))
        except IngestError as error:
            reply = ("error", error.reason)
        except MemoryError:
            reply = (
                "error",
                f"needs more than {memory_bytes // 2**20} MB of memory to read "
                "(parse_memory_bytes); skipped as likely hostile",
            )
        except Exception as error:
            # Untrusted input: a parser bug on one odd file must not stop the others.
            logger.exception("unexpected failure reading %s", path)
            reply = ("error", f"cannot read: {error!r}")
        connection.send(reply)
