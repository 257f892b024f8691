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

from qa.types import Chunk, pages_label

if TYPE_CHECKING:
    from qa.engine import Engine

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
    where = pages_label(chunk.pages)
    section = f" — {chunk.section}" if chunk.section else ""
    return f"=== {chunk.title}{', ' + where if where else ''}{section}  [{chunk.doc_id} {chunk.id}]"


def _index_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index",
        metavar="DIR",
        default=None,
        help="index folder (default: $CITEQA_INDEX or ~/.citeqa/index)",
    )
    parser.add_argument(
        "--model",
        metavar="FOLDER",
        default=None,
        help="sentence-transformers model folder (default: the bundled all-MiniLM-L6-v2)",
    )


def _open_engine(args: argparse.Namespace) -> Engine:
    from qa.engine import Engine

    return Engine.open(args.index, model=args.model)


def _index_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to index")
    _index_option(parser)


def _run_index(args: argparse.Namespace) -> int:
    engine = _open_engine(args)
    summary = engine.add(args.paths)
    for error in summary.errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"{summary}\nindex: {engine.store.folder}", file=sys.stderr)
    nothing_read = not (summary.added or summary.updated or summary.unchanged)
    return 1 if nothing_read and summary.errors else 0


def _query_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", help="the question, in quotes")
    parser.add_argument("-k", type=int, default=None, help="number of passages")
    parser.add_argument(
        "--doc", action="append", default=None, metavar="DOC_ID", help="only this document"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    _index_option(parser)


def _run_search(args: argparse.Namespace) -> int:
    hits = _open_engine(args).search(args.question, k=args.k, docs=args.doc)
    if args.json:
        print(json.dumps([hit.to_dict() for hit in hits], ensure_ascii=False, indent=2))
        return 0
    for hit in hits:
        print(f"{hit.rank}. {_chunk_heading(hit.chunk)}  score={hit.score:.4f}")
        print(f"   {hit.chunk.text}\n")
    if not hits:
        print("no passages found", file=sys.stderr)
    return 0


def _run_ask(args: argparse.Namespace) -> int:
    answer = _open_engine(args).ask(args.question, k=args.k, docs=args.doc)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    if answer.citations:
        print()
        for citation in answer.citations:
            print(f"[{citation.n}] {citation.label}: \u201c{citation.quote}\u201d")
    return 0


def _docs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")
    _index_option(parser)


def _run_docs(args: argparse.Namespace) -> int:
    documents = _open_engine(args).documents()
    if args.json:
        print(json.dumps([d.to_dict() for d in documents], ensure_ascii=False, indent=2))
        return 0
    for doc in documents:
        print(f"{doc.doc_id}\t{doc.title}\t{doc.pages} pages\t{doc.chunks} chunks\t{doc.source}")
    return 0


def _remove_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("doc_id", metavar="DOC", help="document id (see `citeqa docs`)")
    _index_option(parser)


def _run_remove(args: argparse.Namespace) -> int:
    try:
        summary = _open_engine(args).remove(args.doc_id)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 1
    print(summary, file=sys.stderr)
    return 0


def _eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("questions", metavar="QUESTIONS.jsonl", help="question set")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also measure dense-only and BM25-only retrieval",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    _index_option(parser)


def _run_eval(args: argparse.Namespace) -> int:
    from qa.evaluate import evaluate, load_questions

    engine = _open_engine(args)
    questions = load_questions(args.questions)
    reports = {"hybrid": evaluate(engine, questions)}
    if args.compare:
        for mode in ("dense", "lexical"):
            reports[mode] = evaluate(engine, questions, mode=mode, answers=False)
    if args.json:
        print(json.dumps({m: r.to_dict() for m, r in reports.items()}, indent=2))
        return 0
    print(reports["hybrid"].format("hybrid"))
    for mode in ("dense", "lexical"):
        if mode in reports:
            print(reports[mode].format(mode).splitlines()[0])
    return 0


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders to index first (default: the example collection on an empty index)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    parser.add_argument(
        "--auth", metavar="USER:PASS", default=None, help="require this login for the UI and /api"
    )
    parser.add_argument(
        "--api-token",
        metavar="TOKEN",
        default=None,
        help="also accept 'Authorization: Bearer TOKEN' on /api (default: $CITEQA_API_TOKEN)",
    )
    parser.add_argument(
        "--insecure-public",
        action="store_true",
        help="allow a non-loopback --host without --auth (the chat is then open to the network)",
    )
    _index_option(parser)


def _run_serve(args: argparse.Namespace) -> int:
    from pathlib import Path

    from qa.engine import default_index_dir
    from ui.server import check_bind, parse_auth, serve

    try:
        auth = parse_auth(args.auth) if args.auth else None
        check_bind(args.host, auth, insecure_public=args.insecure_public)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    index = Path(args.index) if args.index else default_index_dir()
    print(
        f"citeqa: chat at http://{args.host}:{args.port}/ , API docs at /docs, index {index}",
        file=sys.stderr,
    )
    serve(
        args.paths,
        index,
        host=args.host,
        port=args.port,
        auth=auth,
        model=args.model,
        api_token=args.api_token,
        insecure_public=args.insecure_public,
    )
    return 0


COMMANDS: dict[str, Command] = {
    "chunks": Command(
        help="print the chunks the loaders and cleaners extract from files",
        add_arguments=_chunks_arguments,
        run=_run_chunks,
    ),
    "index": Command(
        help="build or update an index folder from files or folders",
        add_arguments=_index_arguments,
        run=_run_index,
    ),
    "search": Command(
        help="list the passages that best match a question",
        add_arguments=_query_arguments,
        run=_run_search,
    ),
    "ask": Command(
        help="answer a question with quotes and page citations",
        add_arguments=_query_arguments,
        run=_run_ask,
    ),
    "docs": Command(
        help="list the indexed documents",
        add_arguments=_docs_arguments,
        run=_run_docs,
    ),
    "remove": Command(
        help="remove a document from the index",
        add_arguments=_remove_arguments,
        run=_run_remove,
    ),
    "eval": Command(
        help="measure retrieval and answers on a JSON Lines question set",
        add_arguments=_eval_arguments,
        run=_run_eval,
    ),
    "serve": Command(
        help="serve the browser chat and the JSON API (uvicorn)",
        add_arguments=_serve_arguments,
        run=_run_serve,
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
    # transformers draws a "Loading weights" bar on every model load: noise on a terminal.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
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
