"""The commands that ask the index: ``search``, ``ask``, ``compare`` (one answer per
document) and ``chat`` (a conversation)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.cli import command, remote
from qa.cli.command import Command, add_index_options, chunk_heading
from qa.errors import InvalidQuestion, UnknownDocument
from qa.types import Answer, Hit

if TYPE_CHECKING:
    from qa.analyst.conversation import Turn

logger = logging.getLogger(__name__)


def _k_value(text: str) -> int:
    from qa.settings import MAX_K

    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= k <= MAX_K:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_K}, got {k}")
    return k


def _passage_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-k", type=_k_value, default=None, help="number of passages (1-100)")
    parser.add_argument(
        "--doc", action="append", default=None, metavar="DOC_ID", help="only this document"
    )


def _query_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", help="the question, in quotes")
    _passage_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_index_options(parser)


def _checked_question(question: str) -> str:
    """The question, refused before the model loads when no search could take it."""
    from qa.asking import check_question
    from qa.settings import Settings

    return check_question(question, Settings().max_query_chars)


def _run_search(args: argparse.Namespace) -> int:
    hits = _served_hits(args)
    if hits is None:
        question = _checked_question(args.question)
        hits = command.open_engine(args).search(question, k=args.k, docs=args.doc)
    if args.json:
        print(json.dumps([hit.to_dict() for hit in hits], ensure_ascii=False, indent=2))
        return 0
    for hit in hits:
        print(f"{hit.rank}. {chunk_heading(hit.chunk)}  score={hit.score:.4f}")
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


def _served_hits(args: argparse.Namespace) -> list[Hit] | None:
    """The hits from the ``citeqa serve`` on this index, or None to search in-process."""
    served = remote.served_for(args)
    if served is None:
        return None
    try:
        found = remote.search(served, args.question, args.k, args.doc)
    except remote.Unavailable as error:
        logger.info("searching in-process: %s", error)
        return None
    return [Hit.from_dict(hit) for hit in found]


def _served_answer(args: argparse.Namespace, history: list[Any] | None) -> dict[str, Any] | None:
    """The answer (``Answer.to_dict``) from the ``citeqa serve`` on this index, or None to
    answer in-process."""
    served = remote.served_for(args)
    if served is None:
        return None
    try:
        return remote.ask(served, args.question, args.k, args.doc, history)
    except remote.Unavailable as error:
        logger.info("answering in-process: %s", error)
        return None


def _history_items(path: Path) -> list[Any]:
    """The turns of a ``--history`` file as JSON values (question strings, answer objects)."""
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
    return items


def _bold(text: str) -> str:
    """``text`` in bold on a terminal; plain in a file or pipe, where Markdown's ``**`` would
    only be noise."""
    return f"\033[1m{text}\033[0m" if sys.stdout.isatty() else text


def _print_answer(answer: Answer) -> None:
    if answer.resolved_question:
        print(f"Searched for: {answer.resolved_question}\n")
    if answer.tentative:
        print(f"Possible answer (confidence {answer.confidence:.0%}):\n")
    elif answer.found and answer.short:
        print(f"Answer: {_bold(answer.short)}\n")
    print(answer.text)
    if answer.confidence is not None and not answer.tentative:
        print(f"\nConfidence: {answer.confidence:.0%}")
    if answer.citations:
        print()
        for citation in answer.citations:
            print(f"[{citation.n}] {citation.label}: \u201c{citation.quote}\u201d")


def _run_ask(args: argparse.Namespace) -> int:
    items = _history_items(command.existing_paths([args.history])[0]) if args.history else None
    served = _served_answer(args, items)
    if served is not None:
        answer = Answer.from_dict(served)
        data = served
    else:
        from qa.analyst.conversation import turn_from_json

        question = _checked_question(args.question)
        history = None if items is None else [turn_from_json(item) for item in items]
        answer = command.open_engine(args).ask(question, k=args.k, docs=args.doc, history=history)
        data = answer.to_dict()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    _print_answer(answer)
    return 0


def _chat_arguments(parser: argparse.ArgumentParser) -> None:
    _passage_options(parser)
    add_index_options(parser)


CHAT_HELP = (
    "Ask a question; follow-ups ('and the Navy?') build on the conversation.\n"
    "/edit  edit the last 'Searched for' query and ask it    /new  start over    "
    "/quit  leave (or Ctrl-D)"
)


def _run_chat(args: argparse.Namespace) -> int:
    engine = command.open_engine(args)
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
            from qa.analyst.naming import without_scope

            last = next((t for t in reversed(history) if isinstance(t, Answer)), None)
            prefill = without_scope(last.resolved_question or last.question) if last else ""
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


def _compare_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", help="the question, in quotes")
    parser.add_argument("-k", type=_k_value, default=None, help="number of passages (1-100)")
    parser.add_argument(
        "--doc",
        action="append",
        default=None,
        metavar="DOC_ID",
        help="a document to ask (2-4; default: the ones the question names by year)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_index_options(parser)


def _run_compare(args: argparse.Namespace) -> int:
    question = _checked_question(args.question)
    engine = command.open_engine(args)
    answers = engine.compare(question, args.doc, k=args.k)
    if args.json:
        print(json.dumps({d: a.to_dict() for d, a in answers.items()}, ensure_ascii=False))
        return 0
    titles = {d.doc_id: d.title for d in engine.documents()}
    for i, (doc_id, answer) in enumerate(answers.items()):
        print(f"{'' if i == 0 else chr(10)}== {titles.get(doc_id, doc_id)} ({doc_id})\n")
        _print_answer(replace(answer, resolved_question=None))
    return 0


SEARCH = Command(
    help="list the passages that best match a question",
    add_arguments=_query_arguments,
    run=_run_search,
)
ASK = Command(
    help="answer a question with quotes and page citations",
    add_arguments=_ask_arguments,
    run=_run_ask,
)
COMPARE = Command(
    help="ask 2-4 documents the same question: one answer each, with its own citations",
    add_arguments=_compare_arguments,
    run=_run_compare,
)
CHAT = Command(
    help="a conversation in the terminal: follow-up questions build on earlier ones",
    add_arguments=_chat_arguments,
    run=_run_chat,
)
