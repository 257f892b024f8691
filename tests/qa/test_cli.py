"""The index/search/ask/docs/remove/eval commands, with the fake encoder in place of MiniLM."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import textwrap
import time
from pathlib import Path

import pytest

import qa.cli.command
from qa import Engine
from qa.cli import main
from tests.conftest import FIXTURES
from tests.fakes import FakeEncoder

DOCS = FIXTURES / "documents"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        qa.cli.command,
        "open_engine",
        lambda args, create=False: Engine.open(args.index, encoder=FakeEncoder(), create=create),
    )


@pytest.fixture
def index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    folder = str(tmp_path / "index")
    assert main(["index", str(DOCS), "--index", folder]) == 0
    capsys.readouterr()
    return folder


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_index_reports_what_it_did(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(tmp_path / "index")
    assert main(["index", str(DOCS), "--index", folder]) == 0
    assert "added" in capsys.readouterr().err
    assert main(["index", str(DOCS), "--index", folder]) == 0
    assert "0 chunks embedded" in capsys.readouterr().err


def test_docs_search_and_ask_print_parseable_json(
    index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = run_json(capsys, "docs", "--index", index)
    assert isinstance(docs, list) and docs
    assert {"doc_id", "title", "pages", "chunks", "source"} <= set(docs[0])

    hits = run_json(capsys, "search", "harbour patrol boats", "-k", "3", "--index", index)
    assert isinstance(hits, list) and 0 < len(hits) <= 3
    assert {"doc_id", "pages", "text"} <= set(hits[0]["chunk"])

    answer = run_json(capsys, "ask", "What guards the harbour?", "--index", index)
    assert {"text", "found", "citations"} <= set(answer)
    for citation in answer["citations"]:
        assert f"[{citation['n']}]" in answer["text"]


def test_search_can_be_restricted_to_one_document(
    index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc_id = run_json(capsys, "docs", "--index", index)[0]["doc_id"]
    hits = run_json(capsys, "search", "the", "--doc", doc_id, "--index", index)
    assert {hit["chunk"]["doc_id"] for hit in hits} == {doc_id}


def test_remove_drops_a_document_and_refuses_unknown_ids(
    index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = run_json(capsys, "docs", "--index", index)
    assert main(["remove", before[0]["doc_id"], "--index", index]) == 0
    after = run_json(capsys, "docs", "--index", index)
    assert len(after) == len(before) - 1
    assert main(["remove", "no-such-doc", "--index", index]) == 2
    assert "citeqa: error: unknown document id: 'no-such-doc'" in capsys.readouterr().err


def test_eval_prints_metrics_for_every_mode(
    index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc_id = run_json(capsys, "docs", "--index", index)[0]["doc_id"]
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        json.dumps({"question": "harbour patrol", "answer": "harbour", "doc": doc_id})
        + "\n"
        + json.dumps({"question": "What is the capital of Zembla?", "answer": None})
        + "\n"
    )
    report = run_json(capsys, "eval", str(questions), "--compare", "--index", index)
    assert set(report) == {"hybrid", "dense", "lexical"}
    assert report["hybrid"]["retrieval_questions"] == 1
    assert 0.0 <= report["hybrid"]["mrr@10"] <= 1.0
    assert report["hybrid"]["abstention_rate"] is not None


@pytest.mark.parametrize("command", ["ask", "search"])
def test_reading_commands_without_an_index_say_how_to_make_one_and_create_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    folder = tmp_path / "nowhere"
    assert main([command, "what guards the harbour?", "--index", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"citeqa: error: no index at {folder}; build one with "
        f"`citeqa index PATH --index {folder}`\n"
    )
    assert not folder.exists()


def test_docs_and_eval_without_an_index_create_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "nowhere"
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "q", "answer": None}) + "\n")
    assert main(["docs", "--index", str(folder)]) == 2
    assert main(["eval", str(questions), "--index", str(folder)]) == 2
    assert capsys.readouterr().err.count("citeqa: error: no index at") == 2
    assert not folder.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask", "x" * 10_000], "the question is 10000 characters long; the limit is 2000"),
        (["ask", "   "], "the question is empty"),
        (["search", ""], "the question is empty"),
        (["index", "no/such/folder"], "no such file or folder: no/such/folder"),
        (["serve", "no/such/folder"], "no such file or folder: no/such/folder"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(
    index: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main([*argv, "--index", index]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"citeqa: error: {message}")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_k_out_of_range_is_refused_by_the_parser(
    index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["ask", "harbour", "-k", "0", "--index", index])
    assert exited.value.code == 2
    assert "argument -k: must be from 1 to 100, got 0" in capsys.readouterr().err


def test_an_index_path_that_is_a_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "index.txt"
    file.write_text("not an index")
    assert main(["index", str(DOCS), "--index", str(file)]) == 2
    assert main(["ask", "harbour?", "--index", str(file)]) == 2
    assert capsys.readouterr().err.count(f"{file} is a file, not an index folder") == 2


def test_an_empty_folder_is_reported_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["index", str(empty), "--index", str(tmp_path / "index")]) == 1
    assert f"citeqa: error: no readable document was found in {empty}" in capsys.readouterr().err


def test_index_reads_a_folder_for_supported_files_and_says_how_many_it_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "field-notes.md").write_bytes((DOCS / "field-notes.md").read_bytes())
    (folder / "b.csv").write_text("unit,boats\nharbour,12\n")
    (folder / "C.py").write_text("print('patrol boats')\n")
    index = str(tmp_path / "index")

    assert main(["index", str(folder), "--index", index]) == 0
    assert "2 files skipped, not of a supported type (.csv, .py)" in capsys.readouterr().err
    assert [d["doc_id"] for d in run_json(capsys, "docs", "--index", index)] == ["field-notes"]


def test_a_folder_of_unsupported_files_only_fails_saying_so_and_leaves_no_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "C.py").write_text("print('patrol boats')\n")

    assert main(["index", str(folder), "--index", str(tmp_path / "index")]) == 1
    assert (
        f"no readable document was found in {folder} "
        "(1 file skipped, not of a supported type (.py))" in capsys.readouterr().err
    )
    assert not (tmp_path / "index").exists()


def test_a_failed_first_index_leaves_no_folder_and_a_failed_update_keeps_the_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    index = tmp_path / "x"

    assert main(["index", str(empty), "--index", str(index)]) == 1
    assert "empty file" in capsys.readouterr().err
    assert not index.exists()
    # A folder the user made for the index stays, as empty as it was.
    index.mkdir()
    assert main(["index", str(empty), "--index", str(index)]) == 1
    assert list(index.iterdir()) == []
    # Once it holds documents, a failing run leaves the index alone.
    assert main(["index", str(DOCS), "--index", str(index), "-q"]) == 0
    assert main(["index", str(empty), "--index", str(index)]) == 1
    assert run_json(capsys, "docs", "--index", str(index))


def test_debug_shows_the_traceback(index: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["remove", "no-such-doc", "--index", index, "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert err.rstrip().endswith("citeqa: error: unknown document id: 'no-such-doc'")


def test_a_book_is_listed_with_its_folder_and_page_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = str(tmp_path / "index")
    assert main(["index", str(FIXTURES / "page_export"), "--index", folder, "-q"]) == 0
    assert capsys.readouterr().err == ""  # quiet: no summary, no bars
    (book,) = run_json(capsys, "docs", "--index", folder)
    assert (book["source"], book["pages"]) == ("page_export/", 2)
    assert main(["docs", "--index", folder]) == 0
    assert "2 pages" in capsys.readouterr().out


def test_library_debug_logs_stay_off_unless_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = str(tmp_path / "index")
    assert main(["index", str(DOCS), "--index", folder]) == 0
    assert "bm25s" not in capsys.readouterr().err
    assert main(["index", str(DOCS), "--index", str(tmp_path / "other"), "--debug"]) == 0
    assert "DEBUG bm25s" in capsys.readouterr().err


def _index_with_a_terminal(folder: Path, *extra: str) -> str:
    """Run ``citeqa index`` in a child whose stderr is a terminal; return what it drew."""
    code = textwrap.dedent(
        f"""
        import sys
        import qa.cli
        from qa import Engine
        from tests.fakes import FakeEncoder
        qa.cli.command.open_engine = lambda args, create=False: Engine.open(
            args.index, encoder=FakeEncoder(), create=create
        )
        sys.exit(qa.cli.main(["index", {str(DOCS)!r}, "--index", {str(folder)!r}, *{extra!r}]))
        """
    )
    leader, follower = pty.openpty()
    # A terminal 120 columns wide: tqdm draws nothing in a zero-width one.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stderr=follower, stdout=subprocess.DEVNULL
    )
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert child.wait(60) == 0
    return drawn.decode(errors="replace")


def test_a_terminal_gets_a_progress_bar_per_stage_unless_quiet(tmp_path: Path) -> None:
    drawn = _index_with_a_terminal(tmp_path / "index")
    # Files as they are read, then the whole run by characters indexed (with its ETA).
    for stage in ("reading", "indexing"):
        assert stage in drawn
    assert "100%" in drawn
    assert "added" in drawn
    assert _index_with_a_terminal(tmp_path / "other", "--quiet") == ""


def test_ask_reads_the_conversation_from_a_history_file(
    index: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_json(capsys, "ask", "How many patrol boats guard the harbour?", "--index", index)
    for history in (json.dumps([first]), json.dumps(first) + "\n", first["question"] + "\n"):
        path = tmp_path / "history.txt"
        path.write_text(history, encoding="utf-8")
        answer = run_json(capsys, "ask", "And in 2032?", "--history", str(path), "--index", index)
        assert answer["resolved_question"] == "How many patrol boats guard the harbour in 2032?"
    assert main(["ask", "And in 2032?", "--history", str(path), "--index", index]) == 0
    assert capsys.readouterr().out.startswith(
        "Searched for: How many patrol boats guard the harbour in 2032?\n"
    )


def test_chat_answers_follow_ups_in_the_conversation(
    index: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    typed = "How many patrol boats guard the harbour?\nAnd in 2032?\n/new\nAnd in 2032?\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    assert main(["chat", "--index", index]) == 0
    out = capsys.readouterr().out
    # Only the follow-up asked inside the conversation is resolved.
    assert out.count("Searched for: How many patrol boats guard the harbour in 2032?") == 1
    assert out.count("[1]") >= 2


def test_ask_prints_the_short_answer_first_in_bold_on_a_terminal_only(
    index: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "How many patrol boats guard the harbour?"
    answer = run_json(capsys, "ask", question, "--index", index)
    assert answer["short"]

    assert main(["ask", question, "--index", index]) == 0
    piped = capsys.readouterr().out
    assert piped.startswith(f"Answer: {answer['short']}\n")
    assert "**" not in piped and "\033[" not in piped

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["ask", question, "--index", index]) == 0
    assert capsys.readouterr().out.startswith(f"Answer: \033[1m{answer['short']}\033[0m\n")


def test_the_index_summary_gives_the_whole_command_s_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow_open(args: object, create: bool = False) -> Engine:
        time.sleep(1.0)  # what loading (and on a first run converting) the model costs
        return Engine.open(tmp_path / "index", encoder=FakeEncoder(), create=create)

    monkeypatch.setattr(qa.cli.command, "open_engine", slow_open)
    assert main(["index", str(DOCS), "--index", str(tmp_path / "index")]) == 0
    seconds = re.search(r"errors; (\d+\.\d) s$", capsys.readouterr().err, re.MULTILINE)
    assert seconds is not None and float(seconds.group(1)) >= 1.0


def test_index_on_ray_without_ray_says_how_to_get_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)

    assert main(["index", str(DOCS), "--index", str(tmp_path / "index"), "--ray"]) == 2
    assert "pip install 'citeqa[ray]'" in capsys.readouterr().err
    assert not (tmp_path / "index").exists()


# What a short command must not load: the web server, torch (the cached OpenVINO model needs
# only the tokenizer) and the readers of formats it is not given.
_NOT_FOR_SHORT_COMMANDS = ("gradio", "fastapi", "uvicorn", "torch", "transformers", "pypdf", "docx")


@pytest.mark.parametrize(
    ("argv", "also_not"),
    [
        (["index", "{text}"], ("bs4",)),
        (["search", "coastal patrol"], ("bs4", "httpx", "wordfreq")),
        (["ask", "Who patrols the coast?"], ("bs4", "httpx", "wordfreq")),
    ],
)
def test_short_commands_import_only_what_they_use(
    index: str, tmp_path: Path, argv: list[str], also_not: tuple[str, ...]
) -> None:
    text = tmp_path / "text"
    text.mkdir()
    (text / "lakeland.txt").write_text((DOCS / "lakeland.txt").read_text())
    script = textwrap.dedent(
        f"""
        import sys
        import qa.cli.command
        from qa import Engine
        from qa.cli import main
        from tests.fakes import FakeEncoder

        qa.cli.command.open_engine = lambda args, create=False: Engine.open(
            args.index, encoder=FakeEncoder(), create=create
        )
        status = main({[a.format(text=text) for a in argv] + ["--index", index, "-q"]!r})
        print(*sorted(set(sys.modules) & {set(_NOT_FOR_SHORT_COMMANDS + also_not)!r}), status)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.splitlines()[-1] == "0", done.stdout.splitlines()[-1]


def test_a_stale_server_file_falls_back_to_answering_in_process(
    index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from qa.served import SERVED_FILE, announced
    from tests.serving import free_port

    alone = run_json(capsys, "ask", "Who patrols the coast?", "--index", index)
    # A live process (this one) but a port nothing listens on: what a server killed while
    # another process took its pid would leave.
    with announced(
        Path(index), "127.0.0.1", free_port(), token="t", model=None, backend=None, milvus_uri=None
    ):
        assert (Path(index) / SERVED_FILE).exists()
        assert run_json(capsys, "ask", "Who patrols the coast?", "--index", index) == alone
