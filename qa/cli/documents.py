"""The commands about documents: ``chunks`` (files -> chunks, no index), ``index``, ``docs``
and ``remove``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from qa.cli import command
from qa.cli.command import FAILURE, Command, add_index_options, chunk_heading

if TYPE_CHECKING:
    from tqdm import tqdm


def _chunks_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to read")
    parser.add_argument(
        "--jsonl",
        action="store_true",
        help="one JSON object per chunk (id, doc_id, title, pages, section, kind, label, notes, "
        "text, source)",
    )


def _run_chunks(args: argparse.Namespace) -> int:
    from qa.pipeline import chunk_paths

    result = chunk_paths(command.existing_paths(args.paths))
    for error in result.errors:
        print(f"citeqa: error: {error}", file=sys.stderr)
    for chunk in result.chunks:
        if args.jsonl:
            sys.stdout.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(f"{chunk_heading(chunk)}\n{chunk.text}\n\n")
    sys.stdout.flush()
    print(
        f"{len(result.chunks)} chunks from {len(result.documents)} documents, "
        f"{len(result.errors)} errors",
        file=sys.stderr,
    )
    if not result.documents:
        if not result.errors:
            print("citeqa: error: no files found", file=sys.stderr)
        return FAILURE
    return 0


_STAGE_UNITS = {"reading": "file", "cleaning": "doc", "embedding": "chunk"}


class _Bars:
    """A ``Progress`` drawing one tqdm bar per indexing stage, on a terminal only."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._stage = ""
        self._bar: tqdm | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if self._bar is None or stage != self._stage:
            self.close()
            self._stage = stage
            self._bar = tqdm(
                total=total,
                desc=stage,
                unit=_STAGE_UNITS.get(stage, "item"),
                disable=not (self.enabled and total),
            )
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _no_wait_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="fail at once if another process is writing to the index, instead of waiting",
    )


def _index_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to index")
    _no_wait_option(parser)
    add_index_options(parser)


def _run_index(args: argparse.Namespace) -> int:
    paths = command.existing_paths(args.paths)
    engine = command.open_engine(args, create=True)
    bars = _Bars(enabled=not args.quiet and sys.stderr.isatty())
    try:
        summary = engine.add(paths, progress=bars, wait=not args.no_wait)
    finally:
        bars.close()
    for error in summary.errors:
        print(f"citeqa: error: {error}", file=sys.stderr)
    nothing_read = not (summary.added or summary.updated or summary.unchanged or summary.removed)
    if nothing_read:
        shown = ", ".join(args.paths)
        why = "could be read" if summary.errors else "was found"
        print(f"citeqa: error: no readable document {why} in {shown}", file=sys.stderr)
        return FAILURE
    if not args.quiet:
        print(f"{summary}\nindex: {engine.folder}", file=sys.stderr)
    return 0


def _docs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_index_options(parser)


def _run_docs(args: argparse.Namespace) -> int:
    documents = command.open_engine(args).documents()
    if args.json:
        print(json.dumps([d.to_dict() for d in documents], ensure_ascii=False, indent=2))
        return 0
    if not documents:
        print("the index holds no documents yet", file=sys.stderr)
    for doc in documents:
        print(f"{doc.doc_id}\t{doc.title}\t{doc.pages} pages\t{doc.chunks} chunks\t{doc.source}")
    return 0


def _remove_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("doc_id", metavar="DOC", help="document id (see `citeqa docs`)")
    _no_wait_option(parser)
    add_index_options(parser)


def _run_remove(args: argparse.Namespace) -> int:
    summary = command.open_engine(args).remove(args.doc_id, wait=not args.no_wait)
    if not args.quiet:
        print(summary, file=sys.stderr)
    return 0


CHUNKS = Command(
    help="print the chunks the loaders and cleaners extract from files",
    add_arguments=_chunks_arguments,
    run=_run_chunks,
)
INDEX = Command(
    help="build or update an index folder from files or folders",
    add_arguments=_index_arguments,
    run=_run_index,
)
DOCS = Command(help="list the indexed documents", add_arguments=_docs_arguments, run=_run_docs)
REMOVE = Command(
    help="remove a document from the index",
    add_arguments=_remove_arguments,
    run=_run_remove,
)
