from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.index.base import Ranking
from qa.index.folder import bm25
from qa.index.folder.bm25 import LexicalIndex
from qa.text.fields import FIELDS_VERSION, lexical_text
from qa.text.words import tokenize_for_bm25
from qa.types import Chunk

TEXTS = {
    "c1": "The navy commissioned four new submarines to patrol the western strait.",
    "c2": "Reserve forces train for twenty days each year at regional depots.",
    "c3": "The annual defense budget reached 46.7 trillion won, up 8.2 percent.",
    "c4": "Cyber command recruited 625,000 volunteers for network defense drills.",
    "c5": "Peacekeeping units deployed to three missions under the flag of the United Nations.",
}


@pytest.fixture
def index() -> LexicalIndex:
    built = LexicalIndex()
    built.build(list(TEXTS), list(TEXTS.values()))
    return built


def test_search_finds_the_matching_chunk_first(index: LexicalIndex) -> None:
    assert index.search("How many submarines did the navy commission?", k=3).ids[0] == "c1"
    assert index.search("reservists training days", k=3).ids[0] == "c2"


def test_numbers_are_searchable_with_or_without_separators(index: LexicalIndex) -> None:
    assert index.search("budget of 46.7 trillion", k=1).ids == ("c3",)
    assert index.search("625000 volunteers", k=1).ids == ("c4",)


def test_results_are_best_first_and_only_matching(index: LexicalIndex) -> None:
    ranking = index.search("navy defense", k=10)
    assert set(ranking.ids) == {"c1", "c3", "c4"}
    assert list(ranking.scores) == sorted(ranking.scores, reverse=True)
    assert all(s > 0 for s in ranking.scores)
    assert index.search("submarines", k=0) == Ranking((), ())
    assert index.search("the of and", k=5) == Ranking((), ())
    assert index.search("zeppelin", k=5) == Ranking((), ())


def test_allowed_restricts_results(index: LexicalIndex) -> None:
    everything = index.search("defense", k=5)
    assert set(everything.ids) == {"c3", "c4"}
    assert index.search("defense", k=5, allowed={"c4", "c1"}).ids == ("c4",)
    assert index.search("defense", k=5, allowed={"c1"}).ids == ()
    assert index.search("defense", k=5, allowed={"unknown"}).ids == ()


def test_save_load_round_trip(index: LexicalIndex, tmp_path: Path) -> None:
    folder = tmp_path / "bm25-3"
    index.save(folder)
    loaded = LexicalIndex.load(folder)
    assert len(loaded) == len(index) == 5
    for query in ("navy submarines", "defense budget", "United Nations missions"):
        assert loaded.search(query, k=5) == index.search(query, k=5)
    assert loaded.search("defense", k=5, allowed={"c4"}).ids == ("c4",)
    assert not any(p.suffix == ".pkl" for p in folder.iterdir())
    assert json.loads((folder / "chunk_ids.json").read_text()) == list(TEXTS)


def test_save_replaces_an_existing_folder_and_leaves_no_staging(
    index: LexicalIndex, tmp_path: Path
) -> None:
    folder = tmp_path / "bm25"
    other = LexicalIndex()
    other.build(["only"], ["Helicopters fly over the harbour."])
    other.save(folder)
    index.save(folder)
    assert LexicalIndex.load(folder).search("submarines", k=1).ids == ("c1",)
    assert [p.name for p in tmp_path.iterdir()] == ["bm25"]


def test_rebuild_replaces_contents_and_empty_build_empties(index: LexicalIndex) -> None:
    index.build(["n1"], ["Engineers repaired the runway at the island airbase."])
    assert len(index) == 1
    assert index.search("submarines", k=5).ids == ()
    assert index.search("runway", k=5).ids == ("n1",)
    index.build([], [])
    assert len(index) == 0
    assert index.search("runway", k=5).ids == ()
    with pytest.raises(ValueError):
        index.save(Path("never-written"))


def test_a_rebuild_tokenizes_only_new_texts_and_ranks_as_a_fresh_build(
    index: LexicalIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reloaded from disk, the index still knows its texts' terms.
    index.save(tmp_path / "bm25")
    previous = LexicalIndex.load(tmp_path / "bm25")

    tokenized: list[str] = []

    def counting(texts: list[str]) -> list[list[str]]:
        tokenized.extend(texts)
        return tokenize_for_bm25(texts)

    monkeypatch.setattr(bm25, "tokenize_for_bm25", counting)
    texts = {**{k: v for k, v in TEXTS.items() if k != "c2"}, "c6": "Submarine crews train."}
    rebuilt = LexicalIndex()
    rebuilt.build(list(texts), list(texts.values()), previous)
    assert tokenized == ["Submarine crews train."]

    fresh = LexicalIndex()
    fresh.build(list(texts), list(texts.values()))
    for query in ("submarines navy", "train crews", "budget won", "reserve depots"):
        assert rebuilt.search(query, k=5) == fresh.search(query, k=5)


def test_build_rejects_duplicate_ids_and_length_mismatch() -> None:
    with pytest.raises(ValueError, match="unique"):
        LexicalIndex().build(["a", "a"], ["x y", "y z"])
    with pytest.raises(ValueError):
        LexicalIndex().build(["a"], [])


def _chunk(doc_id: str, title: str, source: str, text: str) -> Chunk:
    return Chunk.make(doc_id=doc_id, title=title, pages=(), section=None, text=text, source=source)


def test_title_field_favours_the_named_document() -> None:
    # Same topic, near-identical wording: only the title and file name tell them apart.
    japan = _chunk(
        "jp22",
        "National Defense Strategy",
        "docs/japan_2022_NationalDefenseStrategy.txt",
        "The strategy raises spending on stand-off missiles and integrated air defense systems.",
    )
    other = _chunk(
        "pl20",
        "National Security Strategy",
        "docs/poland_2020_NationalSecurityStrategy.txt",
        "The strategy raises spending on stand-off missiles and integrated air defense.",
    )
    older = _chunk(
        "jp20",
        "Defense of Japan",
        "docs/japan_2020_DefenseOfJapan.txt",
        "The white paper raises spending on stand-off missiles and integrated air defense.",
    )
    chunks = [other, older, japan]
    index = LexicalIndex()
    index.build([c.id for c in chunks], [lexical_text(c) for c in chunks])
    ranking = index.search("What does Japan's 2022 strategy say about stand-off missiles?", k=3)
    assert ranking.ids[0] == japan.id
    assert ranking.ids.index(older.id) < ranking.ids.index(other.id)
    # Without the title field the shorter Polish text wins on length alone.
    plain = LexicalIndex()
    plain.build([c.id for c in chunks], [c.text for c in chunks])
    assert plain.search("Japan 2022 stand-off missiles", k=3).ids[0] == other.id


def test_joined_country_names_in_file_names_match_the_usual_spelling() -> None:
    korea = _chunk(
        "kr",
        "Southkorea 2018 Defense Whitepaper",
        "southkorea_2018_DefenseWhitepaper.txt",
        "Reserve forces were reorganised into mobilisation divisions.",
    )
    africa = _chunk(
        "za",
        "South Africa 2015 Defence Review",
        "southafrica_2015_DefenseReview.txt",
        "Reserve forces were reorganised into mobilisation brigades.",
    )
    assert "south korea" in lexical_text(korea) and "white paper" in lexical_text(korea)
    index = LexicalIndex()
    index.build([korea.id, africa.id], [lexical_text(korea), lexical_text(africa)])
    query = "How were reserve forces reorganised, according to South Korea's white paper?"
    assert index.search(query, k=2).ids[0] == korea.id


def test_files_from_other_field_rules_are_refused(index: LexicalIndex, tmp_path: Path) -> None:
    folder = tmp_path / "bm25"
    index.save(folder)
    meta = folder / "citeqa.json"
    meta.write_text(json.dumps({"fields_version": FIELDS_VERSION - 1}))
    with pytest.raises(ValueError, match="rebuild"):
        LexicalIndex.load(folder)
    meta.unlink()
    with pytest.raises(ValueError, match="rebuild"):
        LexicalIndex.load(folder)
