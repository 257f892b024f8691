"""How long a desktop agent waits: ``citeqa mcp`` started over stdio, tools listed, one ask.

Usage: python bench/mcp_start.py --index DIR [--runs N] [--question Q]

Each run starts a fresh ``citeqa mcp --index DIR`` through the MCP SDK's own stdio client
and times, from before the process starts: the handshake, ``tools/list`` and the ``ask``
result. The index must exist (``citeqa index ui/example --index DIR`` for the example
collection). Prints each run and the median.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

from mcp import Client, StdioServerParameters

QUESTION = "How many fighter aircraft does the Air Force fly?"


async def _run(index: str, question: str) -> tuple[float, float, float]:
    started = time.perf_counter()
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "qa.cli", "mcp", "--index", index]
    )
    async with Client(server) as client:
        ready = time.perf_counter() - started
        await client.list_tools()
        listed = time.perf_counter() - started
        result = await client.call_tool("ask", {"question": question})
        answered = time.perf_counter() - started
        assert not result.is_error, result.content
    return ready, listed, answered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--question", default=QUESTION)
    args = parser.parse_args()
    totals = []
    for run in range(args.runs):
        ready, listed, answered = asyncio.run(_run(args.index, args.question))
        totals.append(answered)
        print(f"run {run + 1}: initialized {ready:.2f} s, tools/list {listed:.2f} s, ", end="")
        print(f"ask answered {answered:.2f} s")
    print(f"median start to answer: {statistics.median(totals):.2f} s over {args.runs} runs")


if __name__ == "__main__":
    main()
