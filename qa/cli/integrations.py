"""``citeqa mcp``: the index served to MCP clients (desktop agents, IDEs) over stdio or HTTP.

The MCP SDK is the ``[mcp]`` extra; without it the command says how to install it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

from qa.cli.command import (
    Command,
    UsageError,
    add_access_options,
    add_index_options,
    checked_login,
    open_engine,
)


def _mcp_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--http",
        action="store_true",
        help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio",
    )
    parser.add_argument("--host", default="127.0.0.1", help="--http address (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="--http port (default: 8765)")
    add_access_options(parser, guarded="--http's /mcp")
    add_index_options(parser)


def _run_mcp(args: argparse.Namespace) -> int:
    from qa.access import API_TOKEN_ENV

    if importlib.util.find_spec("mcp") is None:
        raise UsageError("citeqa mcp needs the MCP SDK: pip install 'citeqa[mcp]'")
    auth = checked_login(args)
    from qa.integrations import mcp, mcp_http

    engine = open_engine(args)
    try:
        if not args.http:
            # stdout carries the protocol: nothing else may be printed there.
            mcp.serve_stdio(engine)
            return 0
        port = args.port or mcp_http.DEFAULT_PORT
        print(f"citeqa: MCP at http://{args.host}:{port}{mcp_http.HTTP_PATH}", file=sys.stderr)
        token = args.api_token or os.environ.get(API_TOKEN_ENV) or None
        mcp_http.serve_http(engine, host=args.host, port=port, auth=auth, api_token=token)
        return 0
    finally:
        engine.close()


MCP = Command(
    help="serve the index to MCP clients (stdio, or streamable HTTP with --http)",
    add_arguments=_mcp_arguments,
    run=_run_mcp,
)
