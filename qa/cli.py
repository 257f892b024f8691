"""The ``citeqa`` command line: one small function per subcommand, registered in COMMANDS.

To add a subcommand, write ``_x_arguments(parser)`` and ``_run_x(args) -> exit code`` and add
an entry to COMMANDS. Subcommands import what they need inside ``_run_x`` so that a quick
command does not pay for loading the embedding model and FAISS.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.types import Chunk

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _chunks_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to read")
    parser.add_argument(
        "--jsonl",
        action="store_true",
        help="one JSON object per chunk (id, doc_id, title, pages, section, text, source)",
    )


def _run_chunks(args: argparse.Namespace) -> int:
    from qa.pipeline import chunk_paths

    result = chunk_paths(args.paths)
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    for chunk in result.chunks:
        if args.jsonl:
            sys.stdout.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(f"{_chunk_heading(chunk)}\n{chunk.text}\n\n")
    sys.stdout.flush()
    print(
        f"{len(result.chunks)} chunks from {len(result.documents)} documents, "
        f"{len(result.errors)} errors",
        file=sys.stderr,
    )
    if not result.documents:
        if not result.errors:
            print("error: no files found", file=sys.stderr)
        return 1
    return 0


def _chunk_heading(chunk: Chunk) -> str:
    if not chunk.pages:
        where = ""
    elif len(chunk.pages) == 1:
        where = f", p. {chunk.pages[0]}"
    else:
        where = f", pp. {chunk.pages[0]}-{chunk.pages[-1]}"
    section = f" — {chunk.section}" if chunk.section else ""
    return f"=== {chunk.title}{where}{section}  [{chunk.doc_id} {chunk.id}]"


COMMANDS: dict[str, Command] = {
    "chunks": Command(
        help="print the chunks the loaders and cleaners extract from files",
        add_arguments=_chunks_arguments,
        run=_run_chunks,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citeqa", description="Answers from long documents, with page citations."
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (-vv for debug)"
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        sub = subcommands.add_parser(name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose < 2:
        # pypdf logs every repair it makes to a damaged file; our error line says enough.
        logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        return args.run(args)
    except BrokenPipeError:
        # The reader went away (``citeqa chunks ... | head``): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
