"""What a ``citeqa`` subcommand is, and the pieces several subcommands share.

A subcommand is a ``Command``: its help line, a function that adds its arguments to its parser
and one that runs it and returns the exit status. The run function imports what it needs when
it runs, so that a quick command does not pay for loading the embedding model and FAISS.
Packages outside qa add commands of their own through the ``citeqa.commands`` entry points
(see ``qa.cli``), built from this module.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import CiteqaError
from qa.types import Chunk, block_name, pages_label

if TYPE_CHECKING:
    from qa.engine import Engine

USAGE_ERROR = 2
FAILURE = 1


class UsageError(CiteqaError):
    """A command-line mistake found before any work starts."""


@dataclass(frozen=True)
class Command:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def add_access_options(
    parser: argparse.ArgumentParser, *, guarded: str, token_note: str = "", public_note: str = ""
) -> None:
    """``--auth``, ``--api-token`` and ``--insecure-public``: who may reach a server that
    guards ``guarded`` (the rules are ``qa.access``'s; see ``checked_login``)."""
    parser.add_argument(
        "--auth", metavar="USER:PASS", default=None, help=f"require this login for {guarded}"
    )
    parser.add_argument(
        "--api-token",
        metavar="TOKEN",
        default=None,
        help=f"accept 'Authorization: Bearer TOKEN' on {guarded}{token_note} "
        "(default: $CITEQA_API_TOKEN)",
    )
    parser.add_argument(
        "--insecure-public",
        action="store_true",
        help=f"allow a non-loopback --host without --auth{public_note}",
    )


def checked_login(args: argparse.Namespace) -> tuple[str, str] | None:
    """The ``--auth`` login, once ``--host`` is known to be allowed with it: a refusal is a
    ``UsageError``, said before the model loads or anything is printed."""
    from qa.access import check_bind, parse_auth

    try:
        auth = parse_auth(args.auth) if args.auth else None
        check_bind(args.host, auth, insecure_public=args.insecure_public)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return auth


def add_index_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index",
        metavar="DIR",
        default=None,
        help="index folder (default: $CITEQA_INDEX or ~/.citeqa/index)",
    )
    parser.add_argument(
        "--backend",
        choices=("folder", "milvus", "faiss"),
        default=None,
        help="where the index lives: folder (SQLite, FAISS and BM25 in the index folder) or "
        "milvus (default: $CITEQA_BACKEND or folder; faiss is folder's old name)",
    )
    parser.add_argument(
        "--milvus-uri",
        metavar="URI",
        default=None,
        help="Milvus for --backend milvus: FILE.db (embedded Milvus Lite) or "
        "http://host:19530 (token in $CITEQA_MILVUS_TOKEN); default $CITEQA_MILVUS_URI",
    )
    parser.add_argument(
        "--model",
        metavar="FOLDER",
        default=None,
        help="sentence-transformers model folder (default: the bundled all-MiniLM-L6-v2)",
    )


def open_engine(args: argparse.Namespace, *, create: bool = False) -> Engine:
    """The engine on ``--index``; reading commands never create an index folder."""
    from qa.engine import Engine

    return Engine.open(
        args.index,
        model=args.model,
        create=create,
        backend=args.backend,
        milvus_uri=args.milvus_uri,
    )


def existing_paths(paths: Sequence[str]) -> list[Path]:
    missing = [path for path in paths if not Path(path).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    return [Path(path) for path in paths]


def chunk_heading(chunk: Chunk) -> str:
    name = block_name(chunk.kind, chunk.block_label)
    where = ", ".join(part for part in (name, pages_label(chunk.pages)) if part)
    section = f" — {chunk.section}" if chunk.section else ""
    return (
        f"=== {chunk.title}{', ' + where if where else ''}{section}  "
        f"[{chunk.kind} {chunk.doc_id} {chunk.id}]"
    )
