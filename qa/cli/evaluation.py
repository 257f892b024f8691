"""``citeqa eval``: retrieval and answer figures on a JSON Lines question set."""

from __future__ import annotations

import argparse
import json

from qa.cli import command
from qa.cli.command import Command, add_index_options


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
    add_index_options(parser)


def _run_eval(args: argparse.Namespace) -> int:
    from qa.evaluate import after_unrelated, evaluate, has_conversations, load_questions
    from qa.evaluate_compare import is_compare_set

    if is_compare_set(command.existing_paths([args.questions])[0]):
        return _run_eval_compare(args)
    questions = load_questions(command.existing_paths([args.questions])[0])
    if args.after_unrelated:
        questions = after_unrelated(questions)
    engine = command.open_engine(args)
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


def _run_eval_compare(args: argparse.Namespace) -> int:
    """A set of comparisons (records with ``parts``): is each document's span in its column?"""
    from qa.evaluate_compare import evaluate_compare, load_compare_questions

    engine = command.open_engine(args)
    report = evaluate_compare(engine, load_compare_questions(args.questions))
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.format())
    return 0


EVAL = Command(
    help="measure retrieval and answers on a JSON Lines question set",
    add_arguments=_eval_arguments,
    run=_run_eval,
)
