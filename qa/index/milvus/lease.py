"""The writer lease of a Milvus index: one row, shared by every process that writes to it.

Milvus has no compare-and-set, so the lease is taken the way Fischer's mutual exclusion
algorithm takes a lock: read the row; if it is free (absent or expired), write your name;
wait ``settle`` seconds; read it again, and you hold it only if your name is still there.
Two writers that both saw it free both write, and the later write wins: the earlier one sees
the other name when it looks again and goes back to waiting. This is safe as long as one
read-then-write takes less than ``settle`` (an attempt slower than ``settle / 2`` starts
over), and as long as the writers' clocks agree to well within ``seconds``.

The holder renews the lease from a background thread every ``seconds / 3``. A holder that
stops (killed, or frozen past the expiry) loses the lease when it expires; another writer may
then take it. A holder that finds another name on the row has lost it: ``check`` raises from
then on, so its update stops at the next step instead of racing the new holder.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass

from pymilvus import MilvusClient
from pymilvus.exceptions import MilvusException

from qa.errors import IndexBusy
from qa.index.milvus.rows import DUMMY_VECTOR, quote

logger = logging.getLogger(__name__)

LEASE_KEY = "writer-lease"
_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class _Held:
    holder: str
    expires: float


class Lease:
    """Cheap constructor; ``acquire``, ``check`` while writing, ``release``."""

    def __init__(
        self,
        client: MilvusClient,
        collection: str,
        *,
        where: str,
        seconds: float = 60.0,
        settle: float = 0.5,
    ) -> None:
        if not seconds > 3 * settle > 0:
            raise ValueError(
                f"the lease must last over three settle times, got {seconds!r} and {settle!r}"
            )
        self._client = client
        self._collection = collection
        self._where = where
        self.seconds = seconds
        self.settle = settle
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _read(self) -> _Held | None:
        rows = self._client.query(
            self._collection, filter=f"key == {quote(LEASE_KEY)}", output_fields=["value"]
        )
        if not rows:
            return None
        value = json.loads(rows[0]["value"])
        return _Held(str(value["holder"]), float(value["expires"]))

    def _write(self) -> None:
        value = json.dumps({"holder": self.holder, "expires": time.time() + self.seconds})
        self._client.upsert(
            self._collection, [{"key": LEASE_KEY, "value": value, "dummy": DUMMY_VECTOR}]
        )

    def acquire(self, *, wait: bool = True) -> None:
        """Take the lease; without ``wait``, ``IndexBusy`` at once when another writer has it."""
        warned = False
        while True:
            started = time.monotonic()
            held = self._read()
            if held is not None and held.holder != self.holder and held.expires > time.time():
                if not wait:
                    raise IndexBusy(
                        f"another process ({held.holder}) is writing to {self._where}; "
                        "try again when it is done"
                    )
                if not warned:
                    logger.warning("%s is writing to %s; waiting for it", held.holder, self._where)
                    warned = True
                time.sleep(_POLL_SECONDS)
                continue
            self._write()
            if time.monotonic() - started > self.settle / 2:
                continue  # too slow to rule out a writer that read the row meanwhile
            time.sleep(self.settle)
            held = self._read()
            if held is not None and held.holder == self.holder:
                break
        self._lost.clear()
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew, name="citeqa-lease", daemon=True)
        self._renewer.start()

    def _renew(self) -> None:
        deadline = time.time() + self.seconds
        while not self._stop.wait(self.seconds / 3):
            try:
                held = self._read()
                if held is None or held.holder != self.holder:
                    logger.error("the writer lease on %s was taken over", self._where)
                    self._lost.set()
                    return
                self._write()
                deadline = time.time() + self.seconds
            except MilvusException as error:
                logger.warning("could not renew the writer lease on %s: %s", self._where, error)
                if time.time() >= deadline:
                    self._lost.set()
                    return

    def check(self) -> None:
        """``IndexBusy`` when the lease was lost since it was taken."""
        if self._lost.is_set():
            raise IndexBusy(
                f"this process lost the writer lease on {self._where} (it expired or was taken "
                "over); its update stopped part-way, and the next writer cleans up after it"
            )

    def release(self) -> None:
        """Give the lease back; if Milvus cannot be reached, it runs out by itself."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None
        try:
            held = self._read()
            if held is not None and held.holder == self.holder:
                self._client.delete(self._collection, ids=[LEASE_KEY])
        except MilvusException as error:
            logger.warning(
                "could not give back the writer lease on %s (%s); it expires in %.0f s",
                self._where,
                error,
                self.seconds,
            )
