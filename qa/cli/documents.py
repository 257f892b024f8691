"""The commands about documents: ``chunks`` (files -> chunks, no index), ``index``, ``docs``
and ``remove``."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from qa.cli import command
from qa.cli.command import FAILURE, Command, UsageError, add_index_options, chunk_heading
from qa.errors import ModelError

if TYPE_CHECKING:
    from tqdm import tqdm

    from qa.engine import Engine

logger = logging.getLogger(__name__)


def _chunks_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to read")
    parser.add_argument(
        "--jsonl",
        action="store_true",
        help="one JSON object per chunk (id, doc_id, title, pages, section, kind, label, notes, "
        "text, source)",
    )


def _run_chunks(args: argparse.Namespace) -> int:
    from qa.indexing.pipeline import chunk_paths

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
        f"{len(result.errors)} errors"
        + (f"; {_skipped_line(result.skipped)}" if result.skipped else ""),
        file=sys.stderr,
    )
    if not result.documents:
        if not result.errors:
            print("citeqa: error: no files found", file=sys.stderr)
        return FAILURE
    return 0


# "indexing" counts characters of changed text across every batch, so its ETA holds for the
# whole run; the other stages count within one batch.
_STAGE_UNITS = {"reading": "file", "cleaning": "doc", "embedding": "chunk", "indexing": "char"}


class _Bars:
    """A ``Progress`` drawing tqdm bars on a terminal only: the whole run (``indexing``, with
    its ETA) on top, and under it one bar for the stage at work."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._stage = ""
        self._bar: tqdm | None = None
        self._overall: tqdm | None = None

    def _new(self, stage: str, total: int, position: int) -> tqdm:
        from tqdm import tqdm

        return tqdm(
            total=total,
            desc=stage,
            unit=_STAGE_UNITS.get(stage, "item"),
            unit_scale=stage == "indexing",
            position=position,
            leave=position == 0,
            disable=not (self.enabled and total),
        )

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "indexing":
            if self._overall is None:
                self._overall = self._new(stage, total, 0)
            self._overall.update(done - self._overall.n)
            return
        if self._bar is None or stage != self._stage:
            if self._bar is not None:
                self._bar.close()
            self._stage = stage
            self._bar = self._new(stage, total, 0 if self._overall is None else 1)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        for bar in (self._bar, self._overall):
            if bar is not None:
                bar.close()
        self._bar = self._overall = None


def _no_wait_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="fail at once if another process is writing to the index, instead of waiting",
    )


def _index_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to index")
    _no_wait_option(parser)
    parser.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="embed on a Ray cluster (needs the [ray] extra): ADDRESS such as auto or "
        "ray://HOST:10001; without one, $RAY_ADDRESS or a Ray started on this machine",
    )
    add_index_options(parser)


def _ray_engine(args: argparse.Namespace) -> Engine:
    """The engine on ``--index`` with its embedding done by Ray Data actors."""
    from embeddings.model_folder import ModelNotFoundError
    from embeddings.ray_encoder import RayEncoder
    from qa.engine import Engine

    try:
        encoder = RayEncoder(args.model, address=args.ray or None)
    except ImportError as exc:
        raise UsageError(f"--ray needs Ray: pip install 'citeqa[ray]' ({exc})") from exc
    except ModelNotFoundError as exc:
        raise ModelError(str(exc)) from exc
    return Engine.open(
        args.index,
        encoder=encoder,
        create=True,
        backend=args.backend,
        milvus_uri=args.milvus_uri,
    )


def _run_index(args: argparse.Namespace) -> int:
    # The summary gives the whole command's time: loading the model can take longer than
    # indexing (a first run converts it).
    started = time.perf_counter()
    paths = command.existing_paths(args.paths)
    folder = _index_folder(args)
    existed = folder.exists()
    new = not existed or (folder.is_dir() and not any(folder.iterdir()))
    on_ray = args.ray is not None
    engine = _ray_engine(args) if on_ray else command.open_engine(args, create=True)
    bars = _Bars(enabled=not args.quiet and sys.stderr.isatty())
    try:
        summary = engine.add(paths, progress=bars, wait=not args.no_wait)
    except BaseException:
        if new:
            _discard_if_empty(engine, folder, existed)
        raise
    finally:
        bars.close()
    for error in summary.errors:
        print(f"citeqa: error: {error}", file=sys.stderr)
    nothing_read = not (summary.added or summary.updated or summary.unchanged or summary.removed)
    if nothing_read:
        if new:
            _discard_if_empty(engine, folder, existed)
        shown = ", ".join(args.paths)
        why = "could be read" if summary.errors else "was found"
        skipped = f" ({_skipped_line(summary.skipped)})" if summary.skipped else ""
        print(f"citeqa: error: no readable document {why} in {shown}{skipped}", file=sys.stderr)
        return FAILURE
    if not args.quiet:
        summary = replace(summary, seconds=time.perf_counter() - started)
        print(f"{summary}\nindex: {engine.folder}", file=sys.stderr)
    return 0


def _skipped_line(skipped: tuple[str, ...]) -> str:
    from qa.ingest import skipped_line

    return skipped_line(skipped)


def _index_folder(args: argparse.Namespace) -> Path:
    from qa.settings import default_index_dir

    return Path(args.index) if args.index else default_index_dir()


def _discard_if_empty(engine: Engine, folder: Path, existed: bool) -> None:
    """Undo a new index that holds no document, so that a failed first index leaves nothing
    behind: the folder goes, or is emptied again when it was there (empty) before."""
    try:
        if engine.documents():
            return
        engine.close()
    except Exception:
        # Whatever stopped the run stopped this too; its own error is the one to report.
        logger.debug("left %s as it is", folder, exc_info=True)
        return
    for path in folder.iterdir():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    if not existed:
        with contextlib.suppress(OSError):
            folder.rmdir()


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
