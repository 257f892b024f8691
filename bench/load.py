"""Concurrent clients against ``POST /api/ask`` while a document is uploaded.

Usage: python bench/load.py [--index DIR] [--docs ../shared/corpus/defense-docs]
                            [--clients 16] [--seconds 60] [--port 0]
Builds (or updates) the index with ``citeqa index``, starts ``citeqa serve`` on 127.0.0.1 in a
subprocess, waits for ``/api/health``, then runs the clients (one thread and one HTTP
connection each, cycling through the dev questions) for the given time. A third of the way in
it uploads a small invented document through ``POST /api/documents``, checks that it answers
a question about it, and removes it at the end so the index is left as it was. Prints
throughput, p50/p95/p99 latency and errors, overall and for the queries that overlapped the
upload; exits 1 on any error. Targets: zero errors, p95 under 1 s.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
P95_TARGET_S = 1.0
# Invented text: a document the corpus cannot already answer, so finding it proves the upload.
UPLOAD_NAME = "load-probe-marsh-lantern.txt"
UPLOAD_TEXT = (
    "Marsh Lantern Survey\n\n"
    "The Marsh Lantern beacon on Tolvik Spit was relit in the spring after the winter storms. "
    "Keepers counted four hundred and twelve reed warblers nesting beside the causeway.\n"
)
UPLOAD_QUESTION = "How many reed warblers nested beside the Tolvik causeway?"
UPLOAD_ANSWER = "four hundred and twelve"


@dataclass(frozen=True)
class Sample:
    started: float
    seconds: float
    error: str | None


@dataclass
class UploadOutcome:
    started: float = 0.0
    finished: float = 0.0
    status: int = 0
    found: bool = False
    removed: bool = False
    detail: str = ""


@dataclass
class LoadReport:
    clients: int
    seconds: float
    samples: list[Sample] = field(default_factory=list)
    upload: UploadOutcome | None = None

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.error]

    def during_upload(self) -> list[Sample]:
        """Queries whose time in flight overlapped the upload request."""
        if self.upload is None:
            return []
        start, end = self.upload.started, self.upload.finished
        return [s for s in self.samples if s.started < end and s.started + s.seconds > start]


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _client_loop(
    base_url: str,
    questions: Sequence[str],
    offset: int,
    deadline: float,
    headers: dict[str, str],
    out: list[Sample],
) -> None:
    with httpx.Client(base_url=base_url, timeout=120, headers=headers) as client:
        for question in itertools.islice(itertools.cycle(questions), offset, None):
            if time.monotonic() >= deadline:
                return
            started = time.monotonic()
            error: str | None = None
            try:
                response = client.post("/api/ask", json={"question": question})
                if response.status_code != 200:
                    error = f"HTTP {response.status_code}: {response.text[:200]}"
                elif "citations" not in response.json():
                    error = f"malformed answer: {response.text[:200]}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            out.append(Sample(started, time.monotonic() - started, error))


def _upload(base_url: str, headers: dict[str, str], outcome: UploadOutcome) -> str | None:
    """Upload the probe document; its doc id, or None (details in ``outcome``)."""
    with httpx.Client(base_url=base_url, timeout=300, headers=headers) as client:
        outcome.started = time.monotonic()
        response = client.post(
            "/api/documents",
            files={"file": (UPLOAD_NAME, UPLOAD_TEXT.encode(), "text/plain")},
        )
        outcome.finished = time.monotonic()
        outcome.status = response.status_code
        if response.status_code != 201:
            outcome.detail = response.text[:200]
            return None
        doc_id = str(response.json()["documents"][0]["doc_id"])
        answer = client.post("/api/ask", json={"question": UPLOAD_QUESTION}).json()
        outcome.found = any(UPLOAD_ANSWER in c["quote"] for c in answer.get("citations", []))
        return doc_id


def run_load(
    base_url: str,
    questions: Sequence[str],
    *,
    clients: int,
    seconds: float,
    upload: bool = True,
    headers: dict[str, str] | None = None,
) -> LoadReport:
    """``clients`` threads ask ``questions`` for ``seconds``; one upload a third of the way in."""
    headers = headers or {}
    report = LoadReport(clients=clients, seconds=seconds)
    per_client: list[list[Sample]] = [[] for _ in range(clients)]
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_client_loop,
            args=(base_url, questions, n * 7, deadline, headers, per_client[n]),
            daemon=True,
        )
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    doc_id: str | None = None
    if upload:
        report.upload = UploadOutcome()
        time.sleep(seconds / 3)
        try:
            doc_id = _upload(base_url, headers, report.upload)
        except httpx.HTTPError as exc:
            report.upload.detail = f"{type(exc).__name__}: {exc}"
    for thread in threads:
        thread.join()
    report.samples = sorted((s for samples in per_client for s in samples), key=lambda s: s.started)
    if report.upload is not None and doc_id is not None:
        with httpx.Client(base_url=base_url, timeout=300, headers=headers) as client:
            removed = client.delete(f"/api/documents/{doc_id}")
        report.upload.removed = removed.status_code == 200
    return report


def format_report(report: LoadReport) -> str:
    samples = report.samples
    latencies = [s.seconds for s in samples if not s.error] or [float("nan")]
    elapsed = max((s.started + s.seconds for s in samples), default=0.0) - min(
        (s.started for s in samples), default=0.0
    )
    p95 = percentile(latencies, 0.95)
    lines = [
        f"clients {report.clients}, {report.seconds:.0f} s: {len(samples)} asks, "
        f"{len(samples) / elapsed if elapsed else 0.0:.2f} asks/s",
        "latency ms: p50 {:.0f}  p95 {:.0f}  p99 {:.0f}  max {:.0f}".format(
            *(1000 * percentile(latencies, q) for q in (0.5, 0.95, 0.99, 1.0))
        ),
        f"errors: {len(report.errors)}",
        *(f"  {s.error}" for s in report.errors[:5]),
        f"p95 target {P95_TARGET_S:.1f} s: {'met' if p95 < P95_TARGET_S else 'MISSED'}",
    ]
    if report.upload is not None:
        upload = report.upload
        during = report.during_upload()
        others = [s.seconds for s in samples if not s.error and s not in during] or [float("nan")]
        lines += [
            f"upload: HTTP {upload.status} in {upload.finished - upload.started:.2f} s, "
            f"answerable {upload.found}, removed afterwards {upload.removed} {upload.detail}",
            f"asks overlapping the upload: {len(during)}, "
            f"errors {sum(1 for s in during if s.error)}",
            "latency ms without them: p50 {:.0f}  p95 {:.0f}  p99 {:.0f}".format(
                *(1000 * percentile(others, q) for q in (0.5, 0.95, 0.99))
            ),
        ]
    return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(base_url: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            if httpx.get(f"{base_url}/api/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server was not healthy after {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / ".citeqa" / "bench-defense-docs")
    parser.add_argument("--docs", type=Path, default=SHARED / "corpus" / "defense-docs")
    parser.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        default=[SHARED / "eval" / "dev-multi.jsonl", SHARED / "eval" / "dev-rok2020.jsonl"],
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args()
    if not args.docs.is_dir():
        print(f"skipped: {args.docs} is absent", file=sys.stderr)
        return 0
    questions = [
        json.loads(line)["question"]
        for path in args.questions
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    citeqa = [sys.executable, "-m", "qa.cli"]
    started = time.monotonic()
    subprocess.run(
        [*citeqa, "index", str(args.docs), "--index", str(args.index)], check=True, env=env
    )
    print(f"index ready in {time.monotonic() - started:.1f} s: {args.index}", file=sys.stderr)

    port = args.port or _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = args.index.with_name(f"{args.index.name}-serve.log")
    print(f"server log: {log}", file=sys.stderr)
    server = subprocess.Popen(
        [*citeqa, "serve", "--index", str(args.index), "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_healthy(base_url, server, timeout=300)
        # The first ask pays for lazy imports and model warm-up; it is not part of the load.
        httpx.post(f"{base_url}/api/ask", json={"question": questions[0]}, timeout=300)
        report = run_load(base_url, questions, clients=args.clients, seconds=args.seconds)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    print(f"{len(set(questions))} distinct questions, cycled; {os.cpu_count()} cores")
    print(format_report(report))
    upload = report.upload
    failed = report.errors or (upload is not None and not (upload.found and upload.removed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
