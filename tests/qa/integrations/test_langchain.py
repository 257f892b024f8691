"""The index as a LangChain retriever, driven by langchain-core's own ``invoke``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.documents import Document

from qa import Engine
from qa.errors import InvalidQuestion, UnknownDocument
from qa.integrations.langchain import CiteqaRetriever
from tests.fakes import fake_engine

EXAMPLE = Path(__file__).resolve().parents[3] / "ui" / "example"
DOC = "valdoria-defence-white-paper-2024"
QUERY = "Heron-class frigates, patrol vessels and mine countermeasure ships"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with fake_engine(tmp_path_factory.mktemp("langchain") / "index", EXAMPLE) as engine:
        yield engine


def test_invoke_returns_the_passages_with_their_pages(engine: Engine) -> None:
    documents = CiteqaRetriever(engine=engine, k=3).invoke(QUERY)
    assert 1 <= len(documents) <= 3 and all(isinstance(d, Document) for d in documents)
    top = documents[0]
    assert "Heron-class frigates" in top.page_content
    assert top.metadata["doc_id"] == DOC and 15 in top.metadata["pages"]
    assert top.metadata["label"].startswith("Valdoria Defence White Paper 2024, p")
    assert top.id == top.metadata["passage_id"]
    # The same passages, in the same order, as the engine's own search.
    assert [d.id for d in documents] == [h.chunk.id for h in engine.search(QUERY, k=3)]


def test_bad_input_raises_citeqas_errors(engine: Engine) -> None:
    with pytest.raises(InvalidQuestion):
        CiteqaRetriever(engine=engine).invoke("  ")
    with pytest.raises(UnknownDocument):
        CiteqaRetriever(engine=engine, docs=["atlantis"]).invoke(QUERY)
