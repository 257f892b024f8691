"""Infer requests of one compiled OpenVINO model, shared by the threads of a process.

A web server embeds many questions and answer sentences at once. Each call borrows requests
as they come free, runs its batches on them concurrently (one stream each) and hands them back
when its last batch is done, so concurrent calls share the streams instead of queueing behind
one lock, and no call oversubscribes the cores. A call that holds a request reuses its own
oldest one rather than wait on the pool: callers waiting on each other cannot deadlock.
"""

from __future__ import annotations

import contextlib
import queue
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import openvino as ov

Batch = tuple[np.ndarray, np.ndarray, np.ndarray]


class InferPool:
    """``size`` requests (the compiled model's optimal number: one per stream)."""

    def __init__(self, compiled: ov.CompiledModel) -> None:
        self.size = int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        self._idle: queue.SimpleQueue[ov.InferRequest] = queue.SimpleQueue()
        for _ in range(self.size):
            self._idle.put(compiled.create_infer_request())

    def run(self, batches: Iterable[Batch], out: np.ndarray) -> None:
        """Infer every ``(rows, input_ids, attention_mask)`` batch, writing its (b, d) output
        into ``out[rows]``; preparing the next batch overlaps the running ones."""
        in_flight: deque[tuple[ov.InferRequest, np.ndarray]] = deque()
        try:
            for rows, ids, mask in batches:
                request = self._borrow(in_flight, out)
                in_flight.append((request, rows))
                request.start_async({"input_ids": ids, "attention_mask": mask})
            while in_flight:
                self._idle.put(self._collect_oldest(in_flight, out))
        finally:
            # After a failure: let the other requests finish before they go back to the pool.
            for request, _ in in_flight:
                with contextlib.suppress(RuntimeError):
                    request.wait()
                self._idle.put(request)

    def _borrow(
        self, in_flight: deque[tuple[ov.InferRequest, np.ndarray]], out: np.ndarray
    ) -> ov.InferRequest:
        if len(in_flight) < self.size:
            with contextlib.suppress(queue.Empty):
                return self._idle.get_nowait()
        if in_flight:
            return self._collect_oldest(in_flight, out)
        return self._idle.get()

    @staticmethod
    def _collect_oldest(
        in_flight: deque[tuple[ov.InferRequest, np.ndarray]], out: np.ndarray
    ) -> ov.InferRequest:
        """Wait for the oldest request, store its output and take it out of ``in_flight``;
        when its inference failed, it stays there (for ``run`` to give back) and this raises."""
        request, rows = in_flight[0]
        request.wait()
        out[rows] = request.get_output_tensor(0).data
        in_flight.popleft()
        return request
