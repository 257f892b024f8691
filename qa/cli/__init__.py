"""The ``citeqa`` command line: the parser, logging and exit statuses around the subcommands.

Each subcommand is a ``Command`` (``qa.cli.command``) in the module of its group:
``documents`` (chunks, index, docs, remove), ``questions`` (search, ask, compare, chat),
``evaluation`` (eval), ``feedback`` (feedback export) and ``integrations`` (mcp). To add
one, write it there and list it in ``BUILTIN``. Other packages add commands through the
``citeqa.commands`` entry points (``name = "module:COMMAND"``): that is how ``ui`` adds
``serve`` without qa importing ui.

Exit status: 0 on success, 1 when the work failed (unreadable input, a busy or damaged index,
an unexpected error), 2 for a usage mistake (bad argument, missing path or index). Errors are
one line, ``citeqa: error: ...``, on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from qa.cli import documents, evaluation, feedback, integrations, questions
from qa.cli.command import FAILURE, USAGE_ERROR, Command, UsageError
from qa.errors import (
    CiteqaError,
    IndexNotFound,
    IngestError,
    InvalidQuestion,
    ModelError,
    ModelMismatch,
    UnknownDocument,
)

logger = logging.getLogger(__name__)

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

BUILTIN: dict[str, Command] = {
    "chunks": documents.CHUNKS,
    "index": documents.INDEX,
    "search": questions.SEARCH,
    "ask": questions.ASK,
    "compare": questions.COMPARE,
    "chat": questions.CHAT,
    "docs": documents.DOCS,
    "remove": documents.REMOVE,
    "eval": evaluation.EVAL,
    "feedback": feedback.FEEDBACK,
    "mcp": integrations.MCP,
}
ENTRY_POINTS = "citeqa.commands"


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


def commands() -> dict[str, Command]:
    """The built-in commands, then those installed packages register as entry points."""
    found = dict(BUILTIN)
    for point in entry_points(group=ENTRY_POINTS):
        if point.name in found:
            logger.warning("%s: ignored, citeqa already has a %r command", point.value, point.name)
            continue
        try:
            command = point.load()
        except Exception as error:
            # A broken plugin must not take the other commands down with it.
            logger.warning("%s: cannot load the %r command: %s", point.value, point.name, error)
            continue
        if not isinstance(command, Command):
            logger.warning("%s: not a qa.cli.command.Command", point.value)
            continue
        found[point.name] = command
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citeqa", description="Answers from long documents, with page citations."
    )
    _common_options(parser, top=True)
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in commands().items():
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
