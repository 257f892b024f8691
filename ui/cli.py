"""``citeqa serve``: the command ui adds to the ``citeqa`` command line.

pyproject.toml registers ``SERVE`` in the ``citeqa.commands`` entry points, so qa's command line
finds it without importing ui. The server (Gradio, FastAPI) is imported only when the command
runs: ``citeqa --help`` stays quick.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qa.cli import command
from qa.cli.command import Command, UsageError, add_index_options


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
        help="accept 'Authorization: Bearer TOKEN' on /api; without --auth the chat's login "
        "takes it as the password (default: $CITEQA_API_TOKEN)",
    )
    parser.add_argument(
        "--insecure-public",
        action="store_true",
        help="allow a non-loopback --host without --auth (the chat is then open to the network)",
    )
    add_index_options(parser)


def _run_serve(args: argparse.Namespace) -> int:
    from qa.access import check_bind, parse_auth
    from qa.engine import default_index_dir
    from ui.server import serve

    command.existing_paths(args.paths)
    # The one bind check: a refusal is a usage error, said before anything is printed or indexed.
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
        backend=args.backend,
        milvus_uri=args.milvus_uri,
        api_token=args.api_token,
        insecure_public=args.insecure_public,
    )
    return 0


SERVE = Command(
    help="serve the browser chat and the JSON API (uvicorn)",
    add_arguments=_serve_arguments,
    run=_run_serve,
)
