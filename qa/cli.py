"""The ``citeqa`` command line: one small function per subcommand, registered in COMMANDS.

To add a subcommand, write ``_x_arguments(parser)`` and ``_run_x(args) -> exit code`` and add
an entry to COMMANDS. Subcommands import what they need inside ``_run_x`` so that a quick
command does not pay for loading the embedding model and FAISS.

Exit status: 0 on success, 1 when the work failed (unreadable input, a busy or damaged index,
an unexpected error), 2 for a usage mistake (bad argument, missing path or index). Errors are
one line, ``citeqa: error: ...``, on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import (
    CiteqaError,
    IndexNotFound,
    IngestError,
    InvalidQuestion,
    ModelError,
    ModelMismatch,
    UnknownDocument,
)
from qa.types import Answer, Chunk, block_name, pages_label

if TYPE_CHECKING:
    from tqdm import tqdm

    from qa.conversation import Turn
    from qa.engine import Engine

logger = logging.getLogger(__name__)

USAGE_ERROR = 2
FAILURE = 1
# Mistakes in what the user typed; anything else that stops a command is a failure.
_USAGE_ERRORS = (
    InvalidQuestion,
    UnknownDocument,
    IngestError,
    IndexNotFound,
    ModelMismatch,
    ModelError,
)
# Libraries that log chatter at INFO/DEBUG on their own loggers (bm25s even forces DEBUG).
_QUIET_LIBRARIES = ("bm25s", "pypdf", "httpx", "urllib3", "filelock", "faiss", "ray")


class UsageError(CiteqaError):
    """A command-line mistake found before any work starts."""


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
        help="one JSON object per chunk (id, doc_id, title, pages, section, kind, label, notes, "
        "text, source)",
    )


def _run_chunks(args: argparse.Namespace) -> int:
    from qa.pipeline import chunk_paths

    result = chunk_paths(_existing_paths(args.paths))
    for error in result.errors:
        print(f"citeqa: error: {error}", file=sys.stderr)
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
            print("citeqa: error: no files found", file=sys.stderr)
        return FAILURE
    return 0


def _chunk_heading(chunk: Chunk) -> str:
    name = block_name(chunk.kind, chunk.block_label)
    where = ", ".join(part for part in (name, pages_label(chunk.pages)) if part)
    section = f" — {chunk.section}" if chunk.section else ""
    return (
        f"=== {chunk.title}{', ' + where if where else ''}{section}  "
        f"[{chunk.kind} {chunk.doc_id} {chunk.id}]"
    )


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


def _open_engine(args: argparse.Namespace, *, create: bool = False) -> Engine:
    """The engine on ``--index``; reading commands never create an index folder."""
    from qa.engine import Engine

    return Engine.open(args.index, model=args.model, create=create)


def _existing_paths(paths: Sequence[str]) -> list[Path]:
    missing = [path for path in paths if not Path(path).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    return [Path(path) for path in paths]


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


def _index_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to index")
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="fail at once if another process is writing to the index, instead of waiting",
    )
    parser.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="embed on a Ray cluster (needs the [ray] extra): ADDRESS such as auto or "
        "ray://HOST:10001; without one, $RAY_ADDRESS or a Ray started on this machine",
    )
    _index_option(parser)


def _ray_engine(args: argparse.Namespace) -> Engine:
    """The engine on ``--index`` with its embedding done by Ray Data actors."""
    from embeddings.model_folder import ModelNotFoundError
    from embeddings.ray_encoder import RayEncoder
    from qa.engine import Engine, default_index_dir
    from qa.store import MODELS

    index = Path(args.index) if args.index else default_index_dir()
    try:
        encoder = RayEncoder(args.model, address=args.ray or None, cache_dir=index / MODELS)
    except ImportError as exc:
        raise UsageError(f"--ray needs Ray: pip install 'citeqa[ray]' ({exc})") from exc
    except ModelNotFoundError as exc:
        raise ModelError(str(exc)) from exc
    return Engine.open(index, encoder=encoder, create=True)


def _run_index(args: argparse.Namespace) -> int:
    paths = _existing_paths(args.paths)
    engine = _ray_engine(args) if args.ray is not None else _open_engine(args, create=True)
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
        print(f"{summary}\nindex: {engine.store.folder}", file=sys.stderr)
    return 0


def _k_value(text: str) -> int:
    from qa.engine import MAX_K

    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= k <= MAX_K:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_K}, got {k}")
    return k


def _query_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", help="the question, in quotes")
    parser.add_argument("-k", type=_k_value, default=None, help="number of passages (1-100)")
    parser.add_argument(
        "--doc", action="append", default=None, metavar="DOC_ID", help="only this document"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    _index_option(parser)


def _checked_question(question: str) -> str:
    """The question, refused before the model loads when no search could take it."""
    from qa.engine import check_question
    from qa.settings import Settings

    return check_question(question, Settings().max_query_chars)


def _run_search(args: argparse.Namespace) -> int:
    question = _checked_question(args.question)
    hits = _open_engine(args).search(question, k=args.k, docs=args.doc)
    if args.json:
        print(json.dumps([hit.to_dict() for hit in hits], ensure_ascii=False, indent=2))
        return 0
    for hit in hits:
        print(f"{hit.rank}. {_chunk_heading(hit.chunk)}  score={hit.score:.4f}")
        print(f"   {hit.chunk.text}\n")
    if not hits:
        print("no passages found", file=sys.stderr)
    return 0


def _ask_arguments(parser: argparse.ArgumentParser) -> None:
    _query_arguments(parser)
    parser.add_argument(
        "--history",
        metavar="FILE",
        default=None,
        help="earlier turns of the conversation: a JSON list or JSON Lines of questions or "
        "`ask --json` answers, or plain text with one question per line",
    )


def _read_history(path: Path) -> list[Turn]:
    from qa.conversation import turn_from_json

    text = path.read_text(encoding="utf-8")
    try:
        items = json.loads(text)
    except json.JSONDecodeError:
        try:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            items = [line.strip() for line in text.splitlines() if line.strip()]
    if not isinstance(items, list):
        items = [items]
    return [turn_from_json(item) for item in items]


def _bold(text: str) -> str:
    """``text`` in bold on a terminal, in Markdown emphasis otherwise."""
    return f"\033[1m{text}\033[0m" if sys.stdout.isatty() else f"**{text}**"


def _print_answer(answer: Answer) -> None:
    if answer.resolved_question:
        print(f"Searched for: {answer.resolved_question}\n")
    if answer.found and answer.short:
        print(f"Answer: {_bold(answer.short)}\n")
    print(answer.text)
    if answer.citations:
        print()
        for citation in answer.citations:
            print(f"[{citation.n}] {citation.label}: \u201c{citation.quote}\u201d")


def _run_ask(args: argparse.Namespace) -> int:
    question = _checked_question(args.question)
    history = _read_history(_existing_paths([args.history])[0]) if args.history else None
    answer = _open_engine(args).ask(question, k=args.k, docs=args.doc, history=history)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    _print_answer(answer)
    return 0


def _chat_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-k", type=_k_value, default=None, help="number of passages (1-100)")
    parser.add_argument(
        "--doc", action="append", default=None, metavar="DOC_ID", help="only this document"
    )
    _index_option(parser)


CHAT_HELP = (
    "Ask a question; follow-ups ('and the Navy?') build on the conversation.\n"
    "/edit  edit the last 'Searched for' query and ask it    /new  start over    "
    "/quit  leave (or Ctrl-D)"
)


def _run_chat(args: argparse.Namespace) -> int:
    engine = _open_engine(args)
    history: list[Turn] = []
    prefill = ""
    print(CHAT_HELP, file=sys.stderr)
    while True:
        try:
            line = _prompt("\n> ", prefill).strip()
        except EOFError:
            print(file=sys.stderr)
            return 0
        prefill = ""
        if line in ("/quit", "/exit"):
            return 0
        if line == "/new":
            history = []
            print("(new conversation)", file=sys.stderr)
            continue
        if line == "/edit":
            last = next((t for t in reversed(history) if isinstance(t, Answer)), None)
            prefill = (last.resolved_question or last.question) if last else ""
            continue
        if not line:
            continue
        try:
            answer = engine.ask(line, k=args.k, docs=args.doc, history=history)
        except (InvalidQuestion, UnknownDocument) as error:
            print(f"citeqa: {error}", file=sys.stderr)
            continue
        print()
        _print_answer(answer)
        history.append(answer)


def _prompt(text: str, prefill: str) -> str:
    """``input(text)`` with ``prefill`` already typed, where the terminal can edit it."""
    try:
        import readline
    except ImportError:  # no line editing here: show the text to copy instead
        if prefill:
            print(prefill, file=sys.stderr)
        return input(text)
    readline.set_startup_hook(lambda: readline.insert_text(prefill))
    try:
        return input(text)
    finally:
        readline.set_startup_hook()


def _docs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")
    _index_option(parser)


def _run_docs(args: argparse.Namespace) -> int:
    documents = _open_engine(args).documents()
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
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="fail at once if another process is writing to the index, instead of waiting",
    )
    _index_option(parser)


def _run_remove(args: argparse.Namespace) -> int:
    summary = _open_engine(args).remove(args.doc_id, wait=not args.no_wait)
    if not args.quiet:
        print(summary, file=sys.stderr)
    return 0


def _eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("questions", metavar="QUESTIONS.jsonl", help="question set")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also measure dense-only and BM25-only retrieval",
    )
    parser.add_argument(
        "--after-unrelated",
        action="store_true",
        help="ask each question as the second turn after the question before it in the file",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    _index_option(parser)


def _run_eval(args: argparse.Namespace) -> int:
    from qa.evaluate import after_unrelated, evaluate, has_conversations, load_questions

    questions = load_questions(_existing_paths([args.questions])[0])
    if args.after_unrelated:
        questions = after_unrelated(questions)
    engine = _open_engine(args)
    reports = {"hybrid": evaluate(engine, questions)}
    if has_conversations(questions) and not args.after_unrelated:
        # The follow-up asked alone, and glued after the previous question: the baselines.
        for followups in ("alone", "glued"):
            reports[f"follow-up {followups}"] = evaluate(engine, questions, followups=followups)
    if args.compare:
        for mode in ("dense", "lexical"):
            reports[mode] = evaluate(engine, questions, mode=mode, answers=False)
    if args.json:
        print(json.dumps({m: r.to_dict() for m, r in reports.items()}, indent=2))
        return 0
    print(reports["hybrid"].format("hybrid"))
    for label, report in reports.items():
        if label.startswith("follow-up"):
            lines = report.format(label).splitlines()
            print(f"{lines[0]}; {lines[1]}")
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
    from qa.engine import default_index_dir
    from ui.server import check_bind, parse_auth, serve

    _existing_paths(args.paths)
    try:
        auth = parse_auth(args.auth) if args.auth else None
        check_bind(args.host, auth, insecure_public=args.insecure_public)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
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
        add_arguments=_ask_arguments,
        run=_run_ask,
    ),
    "chat": Command(
        help="a conversation in the terminal: follow-up questions build on earlier ones",
        add_arguments=_chat_arguments,
        run=_run_chat,
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


def _common_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options every command takes, before or after its name (``citeqa -q index ...`` or
    ``citeqa index ... -q``): the subcommand's copies only override when given."""
    default = (lambda value: value) if top else (lambda value: argparse.SUPPRESS)
    parser.add_argument(
        "-v", "--verbose", action="count", default=default(0), help="log more (-vv for debug)"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=default(False), help="no progress or summary"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="debug logs, and a traceback with any error",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citeqa", description="Answers from long documents, with page citations."
    )
    _common_options(parser, top=True)
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        sub = subcommands.add_parser(name, help=command.help, description=command.help)
        command.add_arguments(sub)
        _common_options(sub, top=False)
        sub.set_defaults(run=command.run)
    return parser


def _configure_logging(args: argparse.Namespace) -> None:
    level = (
        logging.DEBUG
        if args.debug
        else {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    )
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    # The handler's level, not only the root's, so that libraries that set their own
    # loggers to DEBUG stay quiet at the default verbosity.
    handler.setLevel(level)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in _QUIET_LIBRARIES:
        # NOTSET hands the decision back to the root logger (set just above).
        quiet = max(level, logging.WARNING) if level > logging.DEBUG else logging.NOTSET
        logging.getLogger(name).setLevel(quiet)
    if level > logging.DEBUG:
        # pypdf logs every repair it makes to a damaged file; our error line says enough.
        logging.getLogger("pypdf").setLevel(logging.ERROR)
    # transformers draws a "Loading weights" bar on every model load: noise on a terminal.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _fail(args: argparse.Namespace, message: str, status: int) -> int:
    if args.debug:
        logger.exception("traceback")
    print(f"citeqa: error: {message}", file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args)
    try:
        return args.run(args)
    except BrokenPipeError:
        # The reader went away (``citeqa chunks ... | head``): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return _fail(args, "interrupted", 130)
    except (UsageError, *_USAGE_ERRORS) as error:
        return _fail(args, str(error), USAGE_ERROR)
    except CiteqaError as error:
        return _fail(args, str(error), FAILURE)
    except ValueError as error:
        # Settings and arguments that libraries refuse are the user's to fix.
        return _fail(args, str(error), USAGE_ERROR)
    except OSError as error:
        return _fail(args, f"{error.strerror or error}: {error.filename or ''}".strip(": "), 1)
    except Exception as error:
        hint = "" if args.debug else " (run again with --debug for the traceback)"
        return _fail(args, f"unexpected {type(error).__name__}: {error}{hint}", FAILURE)


if __name__ == "__main__":
    sys.exit(main())
