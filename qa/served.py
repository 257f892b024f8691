"""A running ``citeqa serve`` announced in its index folder, so that ``citeqa ask`` and
``citeqa search`` on the same index ask it instead of loading the model themselves.

The server writes ``serve.json`` (address, process id, the options that decide what it answers
and a bearer token when its API needs one) into the index folder, readable by its owner only,
and removes it at shutdown. A file left by a killed server names a process that is gone or a
port that refuses: readers then answer in-process. Standard library only: a command that finds
a server must not pay for importing what it would otherwise load.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

SERVED_FILE = "serve.json"
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


@dataclass(frozen=True)
class Served:
    """Where a server on an index answers, and what it was started with.

    ``host`` is an address this machine can connect to (loopback for a server bound to every
    interface). ``model``, ``backend`` and ``milvus_uri`` are its options as given (None for
    the default), ``model`` as an absolute path: a command reuses the server only when its own
    options are the same. ``nonce`` tells this server's file from a later server's.
    """

    host: str
    port: int
    pid: int
    token: str | None
    model: str | None
    backend: str | None
    milvus_uri: str | None
    nonce: str

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def model_option(model: str | Path | None) -> str | None:
    """``--model`` as ``Served.model`` records it: an absolute path, or None for the default."""
    return str(Path(model).expanduser().resolve()) if model else None


@contextlib.contextmanager
def announced(
    folder: Path,
    host: str,
    port: int,
    *,
    token: str | None,
    model: str | Path | None,
    backend: str | None,
    milvus_uri: str | None,
) -> Iterator[Served]:
    """Write ``folder/serve.json`` for the duration of the block; remove it after unless a
    later server has replaced it. A folder that cannot take the file only costs the speed-up."""
    served = Served(
        host=_ANY_ADDRESS.get(host, host),
        port=port,
        pid=os.getpid(),
        token=token,
        model=model_option(model),
        backend=backend,
        milvus_uri=milvus_uri,
        nonce=secrets.token_hex(8),
    )
    path = folder / SERVED_FILE
    try:
        _write_private(path, json.dumps(asdict(served)))
    except OSError as error:
        logger.warning("cannot announce the server in %s: %s", folder, error)
    try:
        yield served
    finally:
        if read_served(folder) == served:
            with contextlib.suppress(OSError):
                path.unlink()


def _write_private(path: Path, text: str) -> None:
    """``text`` into ``path`` atomically, created owner-only (it may hold a token)."""
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(staging, path)
    except BaseException:
        with contextlib.suppress(OSError):
            staging.unlink()
        raise


def read_served(folder: Path) -> Served | None:
    """The server announced in ``folder``, if its file is there, well formed and its process
    alive; None otherwise."""
    try:
        data = json.loads((folder / SERVED_FILE).read_text(encoding="utf-8"))
        served = Served(**data)
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(served.port, int) or not isinstance(served.pid, int):
        return None
    try:
        os.kill(served.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        # Alive, but another user's: its token file would not have been readable either.
        pass
    return served
