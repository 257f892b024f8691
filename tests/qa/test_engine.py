from __future__ import annotations

import threading
from pathlib import Path

import pytest

from qa import Engine
from qa.answer.generative import ChatClient
from qa.types import Answer, Document
from tests.embeddings.tiny import write_tiny_model
from tests.fakes import FakeEncoder
from tests.qa.corpus import ARCTIC, DESERT


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    engine.add([ARCTIC, DESERT])
    return engine


def test_search_ranks_the_passage_that_answers(engine: Engine) -> None:
    hits = engine.search("how many ice-capable patrol vessels will the navy commission", k=3)
    assert hits[0].chunk.doc_id == "northland-2031"
    assert "patrol vessels" in hits[0].chunk.text
    assert hits[0].chunk.pages == (12,)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_document_filter_restricts_hits(engine: Engine) -> None:
    hits = engine.search("patrol vessels and drones", k=10, docs=["southmark-2029"])
    assert hits
    assert {h.chunk.doc_id for h in hits} == {"southmark-2029"}


def test_unknown_document_in_filter_is_an_error(engine: Engine) -> None:
    with pytest.raises(KeyError, match="nowhere"):
        engine.search("patrol vessels", docs=["nowhere"])


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_is_rejected(engine: Engine, question: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        engine.search(question)


@pytest.mark.parametrize("k", [0, 101, -3])
def test_k_out_of_range_is_rejected(engine: Engine, k: int) -> None:
    with pytest.raises(ValueError, match="k must be"):
        engine.search("patrol vessels", k=k)
    with pytest.raises(ValueError, match="k must be"):
        engine.ask("patrol vessels", k=k)


def test_overlong_question_is_rejected(engine: Engine) -> None:
    with pytest.raises(ValueError, match="max_query_chars"):
        engine.search("word " * 1000)


def test_dense_and_lexical_modes_each_return_hits(engine: Engine) -> None:
    for mode in ("dense", "lexical"):
        hits = engine.search("desalination plants on the coast", k=2, mode=mode)
        assert hits[0].chunk.doc_id == "southmark-2029", mode


def test_ask_quotes_a_cited_page(engine: Engine) -> None:
    answer = engine.ask("Why is water scarcity a national security risk in Southmark?")
    assert answer.found
    assert answer.citations
    first = answer.citations[0]
    assert f"[{first.n}]" in answer.text
    assert first.quote in first.passage
    assert first.doc_id == "southmark-2029"
    assert first.pages == (5,)


def test_documents_lists_page_and_chunk_counts(engine: Engine) -> None:
    docs = {d.doc_id: d for d in engine.documents()}
    assert set(docs) == {"northland-2031", "southmark-2029"}
    assert docs["northland-2031"].pages == 2
    assert docs["northland-2031"].chunks >= 1
    assert docs["northland-2031"].title == "Northland Defence Review 2031"


def test_remove_drops_the_document_from_results(engine: Engine) -> None:
    engine.remove("southmark-2029")
    assert [d.doc_id for d in engine.documents()] == ["northland-2031"]
    hits = engine.search("desalination plants", k=5)
    assert all(h.chunk.doc_id == "northland-2031" for h in hits)
    with pytest.raises(KeyError):
        engine.remove("southmark-2029")


def test_records_without_pages_are_searchable(tmp_path: Path) -> None:
    engine = Engine.open(tmp_path / "index", encoder=FakeEncoder())
    engine.add(
        Document(
            id="rec-1",
            title="Field manual note",
            text="# Logistics\n\nFuel convoys travel with armoured escorts through passes.",
        )
    )
    hit = engine.search("fuel convoys escorts", k=1)[0]
    assert hit.chunk.doc_id == "rec-1"
    assert hit.chunk.pages == ()
    assert hit.chunk.section == "Logistics"


def test_searches_go_on_while_a_document_is_being_indexed(engine: Engine) -> None:
    embedding = threading.Event()
    release = threading.Event()

    def hold(stage: str, done: int, total: int) -> None:
        if stage == "embedding":
            embedding.set()
            assert release.wait(10)

    extra = Document(
        id="eastport-2030",
        title="Eastport Naval Plan 2030",
        text="# Mine warfare\n\nEastport buys six minehunters with autonomous underwater drones.",
    )
    adding = threading.Thread(target=engine.add, args=([extra],), kwargs={"progress": hold})
    adding.start()
    try:
        assert embedding.wait(10)
        hits = engine.search("ice-capable patrol vessels", k=1)  # would block on a held lock
        assert hits[0].chunk.doc_id == "northland-2031"
    finally:
        release.set()
        adding.join(10)
    assert engine.search("minehunters underwater drones", k=1)[0].chunk.doc_id == "eastport-2030"


def test_a_slow_language_model_does_not_hold_up_indexing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    asking = threading.Event()
    release = threading.Event()

    def slow_reply(client: ChatClient, messages: list[dict[str, str]]) -> str:
        asking.set()
        assert release.wait(10)
        return "Four ice-capable patrol vessels [1]."

    monkeypatch.setattr(ChatClient, "complete", slow_reply)
    engine.settings = engine.settings.with_overrides(
        llm_base_url="http://127.0.0.1:9", llm_model="slow"
    )
    answers: list[Answer] = []
    asker = threading.Thread(
        target=lambda: answers.append(engine.ask("patrol vessels?", mode="generative"))
    )
    asker.start()
    try:
        assert asking.wait(10)
        extra = Document(id="eastport-2030", title="Eastport Plan", text="Six minehunters.")
        adding = threading.Thread(target=engine.add, args=([extra],))
        adding.start()
        adding.join(10)  # a writer waiting behind the model call would still be here
        assert not adding.is_alive()
    finally:
        release.set()
        asker.join(10)
    assert answers and answers[0].citations[0].doc_id == "northland-2031"


def test_a_follow_up_is_searched_as_a_self_contained_question(engine: Engine) -> None:
    first = engine.ask("How many ice-capable patrol vessels will the Northland navy commission?")
    answer = engine.ask("And by what year?", history=[first])
    assert answer.question == "And by what year?"
    assert answer.resolved_question is not None
    assert "patrol vessels" in answer.resolved_question
    assert answer.citations[0].doc_id == "northland-2031"
    hits = engine.search("And by what year?", k=1, history=[first])
    assert hits[0].chunk.doc_id == "northland-2031"


def test_a_self_contained_second_question_is_answered_as_asked(engine: Engine) -> None:
    first = engine.ask("How many ice-capable patrol vessels will the Northland navy commission?")
    question = "Why is water scarcity a national security risk in Southmark?"
    answer = engine.ask(question, history=[first])
    assert answer.resolved_question is None
    assert answer.citations[0].doc_id == "southmark-2029"
    assert answer.text == engine.ask(question).text


def test_history_may_be_plain_questions(engine: Engine) -> None:
    history = ["How many ice-capable patrol vessels will the Northland navy commission?"]
    answer = engine.ask("What do they carry?", history=history)
    assert answer.resolved_question == f"What do they carry? ({history[0]})"
    hits = engine.search("What do they carry?", k=1, history=history)
    assert "carries a helicopter" in hits[0].chunk.text


def test_a_language_model_rewrites_a_follow_up_from_the_earlier_questions(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def rewrite(client: ChatClient, messages: list[dict[str, str]]) -> str:
        asked.append(messages[-1]["content"])
        return "When will Northland commission its ice-capable patrol vessels?"

    monkeypatch.setattr(ChatClient, "complete", rewrite)
    engine.settings = engine.settings.with_overrides(
        llm_base_url="http://127.0.0.1:9", llm_model="rewriter"
    )
    first = engine.ask(
        "How many ice-capable patrol vessels will the Northland navy commission?",
        mode="extractive",
    )
    answer = engine.ask("And by what year?", history=[first], mode="extractive")

    assert asked == [f"User: {first.question}\nLast question: And by what year?"]
    assert answer.resolved_question == (
        "When will Northland commission its ice-capable patrol vessels?"
    )
    assert answer.citations[0].doc_id == "northland-2031"


def test_every_index_shares_the_one_converted_model_in_the_user_cache(
    tmp_path: Path, converted_model_cache: Path
) -> None:
    pytest.importorskip("openvino")
    tiny = write_tiny_model(tmp_path / "tiny", seed=3)
    fingerprints = set()
    for name in ("first", "second"):
        with Engine.open(tmp_path / name, model=tiny) as engine:
            assert engine.encoder.backend == "openvino"
            engine.add([ARCTIC])
            fingerprints.add(engine.encoder.fingerprint)
        assert not (tmp_path / name / "models").exists()

    (fingerprint,) = fingerprints
    entries = [p for p in converted_model_cache.iterdir() if p.name.startswith(fingerprint)]
    assert len(entries) == 1
