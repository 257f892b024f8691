"""Issue 26's table in one run: whole commands from a new process, embedding against the CPU's
peak, and per-question cost.

Usage: python bench/startup.py [--runs N] [--against CHECKOUT] [--full] [--clock-ghz F]

Every row is a whole ``python -m qa.cli ...`` process, timed from start to exit (medians of
``--runs``), on the 2020 white paper (``../shared/corpus/rok-dwp-2020-pages``; skipped when
absent), which the first row indexes into a temporary folder:
  index 2020 paper   ``citeqa index`` of the 451 pages into a new folder (once per checkout)
  index 1 page       ``citeqa index`` of one page into a new folder
  ask                ``citeqa ask`` on the paper's index
  open + search      ``citeqa search`` on it: a new process opens the index and searches once
  ask, served        ``citeqa ask`` while ``citeqa serve`` runs on the same index (started by
                     the checkout under test, on a free port, stopped after the row)
With ``--against CHECKOUT`` (e.g. a ``git worktree`` of main) each row also runs from that
checkout, alternating run by run so that both see the same load on a shared machine, and the
table gives both medians and the ratio. With ``--full`` it then runs, on this checkout only:
embed-only chunks/s of the default encoder on the paper's chunk texts against the CPU's peak
at that precision (FLOP per chunk from the model's shape and the chunks' mean token count, x
chunks/s, over cores x FLOP/cycle x clock; the clock is the highest the OS reports unless
``--clock-ghz`` says otherwise), the paper's index row against the embedding that index pays
(chunks, and quotable sentences when ``Settings.answer_vectors``), then
``bench/query_latency.py`` (engine.ask p50 over the 56 documents; ``--latency-index DIR``
hands it an index of them already built, which it updates).
The converted model comes from the user cache, as for any ``citeqa`` command.
"""

from __future__ import annotations

import os

# Nothing here may download a model.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import argparse
import contextlib
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAPER = ROOT.parent / "shared" / "corpus" / "rok-dwp-2020-pages"
QUESTION = "What is the defence budget for 2020?"
# One text page, as a user would index a single file.
ONE_PAGE = "010_bbd05a6c6a47b66e.txt"


@dataclass(frozen=True)
class Checkout:
    name: str
    root: Path

    def run(self, *argv: str) -> float:
        """Wall seconds of ``citeqa ARGV`` run from this checkout's sources."""
        env = {**os.environ, "PYTHONPATH": str(self.root)}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "qa.cli", *argv],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{self.name}: citeqa {argv[0]} failed: {done.stderr[-2000:]}")
        return seconds


def cpu_line() -> tuple[str, set[str], str]:
    """The CPU's model name, flags and vendor, from /proc/cpuinfo."""
    fields: dict[str, str] = {}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
        if not line.strip() and fields:
            break
    return (
        fields.get("model name", "?"),
        set(fields.get("flags", "").split()),
        fields.get("vendor_id", "?") + f" family {fields.get('cpu family', '?')}",
    )


def clock_ghz() -> float:
    """The highest clock the OS reports (cpufreq's maximum, else /proc/cpuinfo's MHz)."""
    cpufreq = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
    if cpufreq.exists():
        return int(cpufreq.read_text()) / 1e6
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("cpu MHz"):
            return float(line.split(":")[1]) / 1000
    return 0.0


def flop_per_cycle(flags: set[str], vendor: str, precision: str) -> tuple[float, str]:
    """Peak FLOP (or int8 ops) per cycle per core, and how it was reckoned.

    Two FMA pipes of the vector width; Zen 4 (AMD family 25) runs AVX-512 on 256-bit halves.
    bf16 dot products (AVX512-BF16) do twice the fp32 FLOP per instruction, VNNI int8 four
    times; AMX tiles do 1024 bf16 or 2048 int8 multiply-adds per cycle.
    """
    if "amx_bf16" in flags and precision in ("bf16", "int8"):
        macs = 1024 if precision == "bf16" else 2048
        return 2.0 * macs, f"AMX {macs} multiply-adds/cycle"
    bits = 512 if "avx512f" in flags and vendor != "AuthenticAMD family 25" else 256
    fp32 = 2 * 2 * bits / 32
    factor = {"fp32": 1, "bf16": 2 if "avx512_bf16" in flags else 1, "int8": 4}[precision]
    if precision == "int8" and "avx512_vnni" not in flags and "avx_vnni" not in flags:
        factor = 2
    return fp32 * factor, f"2 FMA pipes x {bits} bits, x{factor} over fp32"


def median_pairs(
    checkouts: list[Checkout], runs: int, make: Callable[[Checkout, int], tuple[str, ...]]
) -> dict[str, float]:
    """Median seconds per checkout of ``citeqa make(checkout, run)``, checkouts alternating."""
    samples: dict[str, list[float]] = {c.name: [] for c in checkouts}
    for run in range(runs):
        for checkout in checkouts if run % 2 == 0 else reversed(checkouts):
            samples[checkout.name].append(checkout.run(*make(checkout, run)))
    return {name: statistics.median(values) for name, values in samples.items()}


@contextlib.contextmanager
def serving(checkouts: list[Checkout], indexes: dict[str, Path]) -> Iterator[None]:
    """``citeqa serve`` from each checkout on its index, until the block ends.

    Waits until each accepts connections (60 s at most): it listens once its model is loaded.
    """
    servers = []
    for checkout in checkouts:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        argv = ["serve", "--index", str(indexes[checkout.name]), "--port", str(port)]
        servers.append(
            subprocess.Popen(
                [sys.executable, "-m", "qa.cli", *argv],
                cwd=checkout.root,
                env={**os.environ, "PYTHONPATH": str(checkout.root)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
    try:
        yield
    finally:
        for server in servers:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)


def print_row(label: str, medians: dict[str, float], target: str) -> None:
    values = "  ".join(f"{name} {seconds:6.2f} s" for name, seconds in medians.items())
    ratio = ""
    if len(medians) == 2:
        this, other = medians.values()
        ratio = f"  ratio {this / other:.2f}x"
    print(f"{label:22s} {values}{ratio}  ({target})", flush=True)


def embed_against_peak(clock: float) -> float:
    """Embed-only chunks/s of the default encoder on the paper's chunks, against the peak;
    returns the seconds of embedding an index of the paper pays (its chunks, and with
    ``Settings.answer_vectors`` their quotable sentences), longest first as indexing does."""
    import numpy as np

    from embeddings.encoder import SentenceEncoder
    from embeddings.model_folder import read_json
    from embeddings.tokens import plain_token_ids
    from qa.indexing.pipeline import chunk_paths
    from qa.settings import Settings
    from qa.text.fields import dense_text
    from qa.text.units import answer_texts

    chunks = chunk_paths([PAPER]).chunks
    texts = sorted(dict.fromkeys(dense_text(c) for c in chunks), key=len, reverse=True)
    encoder = SentenceEncoder().load()
    encoder.encode(texts[:32])
    started = time.perf_counter()
    encoder.encode(texts)
    rate = len(texts) / (time.perf_counter() - started)
    config = read_json(encoder.folder / "config.json")
    hidden, inner = config["hidden_size"], config["intermediate_size"]
    tokens = np.mean([len(ids) for ids in plain_token_ids(encoder.folder, 256)(texts)])
    # Per token and layer: Q, K, V, output and the two feed-forward products, plus attention's
    # two products over the sequence; 2 FLOP per multiply-add.
    per_layer = 2 * tokens * (4 * hidden * hidden + 2 * hidden * inner + 2 * tokens * hidden)
    flop = config["num_hidden_layers"] * per_layer
    _, flags, vendor = cpu_line()
    cores = len(os.sched_getaffinity(0))
    per_cycle, how = flop_per_cycle(flags, vendor, encoder.precision)
    peak = cores * per_cycle * clock * 1e9
    print(
        f"embed-only {encoder.backend} {encoder.precision}: {rate:.1f} chunks/s on "
        f"{len(texts)} chunks of {tokens:.0f} tokens = {flop / 1e9:.2f} GFLOP each -> "
        f"{rate * flop / 1e12:.3f} TFLOP/s; peak {cores} cores x {per_cycle:.0f} FLOP/cycle "
        f"({how}) x {clock:.2f} GHz = {peak / 1e12:.3f} TFLOP/s ({peak / flop:.0f} chunks/s): "
        f"{rate * flop / peak:.0%} of peak (target >= 80%)",
        flush=True,
    )
    chunk_seconds = len(texts) / rate
    if not Settings.from_env().answer_vectors:
        return chunk_seconds
    known = set(texts)
    sentences = sorted(
        {t for c in chunks for t in answer_texts(c) if t not in known}, key=len, reverse=True
    )
    started = time.perf_counter()
    encoder.encode(sentences)
    sentence_seconds = time.perf_counter() - started
    print(
        f"an index of the paper embeds {len(texts)} chunks ({chunk_seconds:.1f} s) and "
        f"{len(sentences)} quotable sentences ({sentence_seconds:.1f} s)",
        flush=True,
    )
    return chunk_seconds + sentence_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", type=Path, help="another checkout to alternate with")
    parser.add_argument("--full", action="store_true", help="also embed-only and ask latency")
    parser.add_argument("--clock-ghz", type=float, default=None)
    parser.add_argument("--latency-index", type=Path, help="bench/query_latency.py's --index")
    args = parser.parse_args()
    if not PAPER.is_dir():
        print(f"skipped: {PAPER} is absent", file=sys.stderr)
        return 0
    model, flags, _ = cpu_line()
    shown = sorted(f for f in flags if f.startswith(("avx", "amx")) or f == "fma")
    clock = args.clock_ghz or clock_ghz()
    cores = len(os.sched_getaffinity(0))
    print(f"CPU: {model}, {cores} cores usable, {clock:.2f} GHz; flags: {' '.join(shown)}")
    checkouts = [Checkout("this", ROOT)]
    if args.against:
        checkouts.append(Checkout(args.against.name, args.against.resolve()))
    work = Path(tempfile.mkdtemp(prefix="citeqa-startup-"))
    try:
        page = work / "one-page"
        page.mkdir()
        shutil.copy2(PAPER / ONE_PAGE, page / ONE_PAGE)
        indexes = {c.name: work / f"paper-{c.name}" for c in checkouts}
        built = median_pairs(
            checkouts, 1, lambda c, run: ("index", str(PAPER), "--index", str(indexes[c.name]))
        )
        print_row("index 2020 paper", built, "target: within 1.25x of its embedding time")
        print_row(
            "index 1 page",
            median_pairs(
                checkouts,
                args.runs,
                lambda c, run: ("index", str(page), "--index", str(work / f"p-{c.name}-{run}")),
            ),
            "target <= 3 s",
        )
        print_row(
            "ask",
            median_pairs(
                checkouts,
                args.runs,
                lambda c, run: ("ask", QUESTION, "--index", str(indexes[c.name])),
            ),
            "target <= 1 s",
        )
        print_row(
            "open + search",
            median_pairs(
                checkouts,
                args.runs,
                lambda c, run: ("search", QUESTION, "--index", str(indexes[c.name])),
            ),
            "target <= 0.8 s",
        )
        with serving(checkouts, indexes):
            print_row(
                "ask, served",
                median_pairs(
                    checkouts,
                    args.runs,
                    lambda c, run: ("ask", QUESTION, "--index", str(indexes[c.name])),
                ),
                "a second question from the shell",
            )
        if args.full:
            embedding = embed_against_peak(clock)
            print(
                f"index 2020 paper / its embedding: {built['this']:.1f} s / {embedding:.1f} s "
                f"= {built['this'] / embedding:.2f}x (target <= 1.25x)",
                flush=True,
            )
            latency = [sys.executable, str(ROOT / "bench" / "query_latency.py")]
            if args.latency_index:
                latency += ["--index", str(args.latency_index)]
            subprocess.run(latency, check=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
