"""Untrusted uploads -> files under the index folder, checked for type and size first."""

from __future__ import annotations

import logging
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import BinaryIO

logger = logging.getLogger(__name__)

SUPPORTED_EXTENSIONS = (".txt", ".md", ".pdf", ".html", ".htm", ".docx", ".jsonl")
DEFAULT_UPLOAD_LIMIT = 50 * 1024 * 1024
_READ_BLOCK = 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UploadRejected(Exception):
    """The upload is refused; ``status`` is the HTTP status that says why (413 or 415)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def safe_name(filename: str) -> str:
    """A plain file name kept only for readable titles: no folders, no odd characters."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip("._")
    stem, dot, extension = cleaned.rpartition(".")
    if not dot:
        return cleaned[:80] or "upload"
    return f"{stem[:80] or 'upload'}.{extension.lower()}"


def check_extension(filename: str) -> str:
    """The lower-case extension of ``filename``; ``UploadRejected(415)`` if unsupported."""
    extension = Path(safe_name(filename)).suffix.lower()
    if extension not in SUPPORTED_EXTENSIONS:
        raise UploadRejected(
            415,
            f"unsupported file type {extension or '(none)'!r}; "
            f"supported: {' '.join(SUPPORTED_EXTENSIONS)}",
        )
    return extension


def save_upload(stream: BinaryIO, filename: str, folder: Path, limit: int) -> Path:
    """Copy ``stream`` to ``folder/<random>/<safe name>`` and return that path.

    The random sub-folder keeps the path out of the client's hands while the document
    title still reads like the uploaded file. Raises ``UploadRejected`` (415 for a type the
    loaders cannot read, 413 past ``limit`` bytes); nothing is left on disk then.
    """
    check_extension(filename)
    folder = folder.resolve()
    # A fresh random folder (mkdir fails rather than reuse one) and O_EXCL|O_NOFOLLOW on the
    # file: nothing already on disk, a planted symlink included, can redirect the write.
    target = folder / uuid.uuid4().hex / safe_name(filename)
    target.parent.mkdir(mode=0o700)
    written = 0
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with os.fdopen(os.open(target, flags, 0o600), "wb") as out:
            while block := stream.read(_READ_BLOCK):
                written += len(block)
                if written > limit:
                    raise UploadRejected(
                        413, f"the file is larger than the upload limit of {limit} bytes"
                    )
                out.write(block)
    except BaseException:
        discard_upload(target)
        raise
    logger.info("saved upload %r as %s (%d bytes)", filename, target, written)
    return target


def discard_upload(path: Path) -> None:
    """Delete a saved upload and its random folder (never through a symlinked folder)."""
    # rmtree refuses a symlink and does not follow links inside, so nothing outside is touched.
    shutil.rmtree(path.parent, ignore_errors=True)


def is_upload(path: str | Path | None, folder: Path) -> bool:
    """True if ``path`` is a file saved by ``save_upload`` into ``folder``."""
    if not path:
        return False
    given = Path(path)
    resolved = given.resolve()
    # A symlink anywhere on the way would make "delete this upload" delete something else.
    return (
        resolved.parent.parent == folder.resolve()
        and resolved.is_file()
        and not given.is_symlink()
        and not given.parent.is_symlink()
    )
