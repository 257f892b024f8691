"""``citeqa serve``: the command ui adds to the ``citeqa`` command line.

pyproject.toml registers ``SERVE`` in the ``citeqa.commands`` entry points, so qa's command line
finds it without importing ui. The server (Gradio, FastAPI) is imported only when the command
runs: ``citeqa --help`` stays quick.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qa import (
    Command,
    add_access_options,
    add_index_options,
    checked_login,
    default_index_dir,
    existing_paths,
)


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders to index first (default: the example collection on an empty index)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    add_access_options(
        parser,
        guarded="the UI and /api",
        token_note="; without --auth the chat's login takes it as the password",
        public_note=" (the chat is then open to the network)",
    )
    add_index_options(parser)


def _run_serve(args: argparse.Namespace) -> int:
    from ui.server import serve

    existing_paths(args.paths)
    auth = checked_login(args)
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
