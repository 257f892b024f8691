"""``citeqa feedback export``: the readers' verdicts on answers, as JSON Lines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qa.cli.command import Command


def _feedback_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["export"], help="export: write every verdict")
    parser.add_argument(
        "-o", "--output", metavar="FILE", default=None, help="JSON Lines file (default: stdout)"
    )
    parser.add_argument(
        "--index",
        metavar="DIR",
        default=None,
        help="index folder (default: $CITEQA_INDEX or ~/.citeqa/index)",
    )


def _run_feedback(args: argparse.Namespace) -> int:
    from qa.analyst.feedback import FeedbackLog
    from qa.index.folder.layout import check_folder
    from qa.settings import default_index_dir

    folder = Path(args.index) if args.index else default_index_dir()
    # Only the verdicts are read: no model is loaded, but the folder must be an index.
    check_folder(folder, create=False)
    log = FeedbackLog(folder)
    try:
        count = log.export(args.output or sys.stdout)
    finally:
        log.close()
    if not args.quiet:
        print(f"{count} verdicts exported", file=sys.stderr)
    return 0


FEEDBACK = Command(
    help="export the thumbs up/down readers gave answers, as JSON Lines",
    add_arguments=_feedback_arguments,
    run=_run_feedback,
)
