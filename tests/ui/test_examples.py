"""The invented example collection: told apart by its folder, said to be invented in the
Documents tab and on the landing, and dropped when the user's own documents arrive."""

from __future__ import annotations

from pathlib import Path

from qa import Engine
from qa.analyst.overview import Overview
from qa.analyst.suggestions import Suggestion
from ui.events import Events
from ui.examples import drop_examples, is_example
from ui.landing import example_messages, summary_markdown

VALDORIA = "Valdoria Defence White Paper 2024"
NOTE = "Gullwick Seal Survey\n\nThe keepers of Gullwick counted nineteen grey seals.\n"


def _no_progress(*args: object, **kwargs: object) -> None:
    return None


def _own(folder: Path, name: str = "gullwick.txt", text: str = NOTE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_is_told_by_its_folder_not_by_a_folder_of_the_same_name(
    engine: Engine, tmp_path: Path
) -> None:
    # A user's own folder that happens to be called "example" holds no example documents.
    engine.add([_own(tmp_path / "example", "survey.txt")])
    marked = {d.doc_id: is_example(d) for d in engine.documents()}
    assert marked == {"valdoria-defence-white-paper-2024": True, "survey": False}


def test_the_example_stays_while_it_is_all_the_index_holds(engine: Engine) -> None:
    assert drop_examples(engine) == ()
    assert [d.title for d in engine.documents()] == [VALDORIA]


def test_own_files_added_in_the_documents_tab_replace_the_example_and_the_status_says_so(
    engine: Engine, upload_dir: Path, tmp_path: Path
) -> None:
    events = Events(engine, upload_dir, 10_000)
    table = events.document_views()[0]
    assert table.value["data"][0][0] == f"{VALDORIA} (invented example)"
    status, *_ = events.add_files([str(_own(tmp_path / "mine"))], progress=_no_progress)
    assert "1 added" in status
    assert f"Removed the invented example ({VALDORIA}): the index holds your own" in status
    assert [d.doc_id for d in engine.documents()] == ["gullwick"]
    assert "invented example" not in events.document_views()[0].value["data"][0][0]


def test_a_failed_upload_leaves_the_example_in_place(
    engine: Engine, upload_dir: Path, tmp_path: Path
) -> None:
    events = Events(engine, upload_dir, 10_000)
    empty = _own(tmp_path / "mine", "empty.txt", "")
    status, *_ = events.add_files([str(empty)], progress=_no_progress)
    assert "invented example" not in status
    assert [d.title for d in engine.documents()] == [VALDORIA]


def test_the_landing_says_which_documents_are_invented_and_marks_their_questions() -> None:
    overview = Overview(
        2,
        10,
        20,
        None,
        (
            Suggestion("How many frigates does the Navy operate?", "valdoria", VALDORIA, "s"),
            Suggestion("How many seals were counted?", "gullwick", "Gullwick", "s"),
        ),
    )
    text = summary_markdown(overview, [VALDORIA])
    assert f"*{VALDORIA}* is an invented example" in text
    assert "invented" not in summary_markdown(overview)
    assert example_messages(overview, {"valdoria"}) == [
        {
            "text": "How many frigates does the Navy operate?",
            "display_text": "How many frigates does the Navy operate? (invented example)",
        },
        {"text": "How many seals were counted?"},
    ]
