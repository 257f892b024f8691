from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qa.index.folder.bm25 import LexicalIndex
from qa.ingest.plain import title_from_stem
from qa.text.fields import lexical_text
from qa.types import Chunk

WORDS_PER_CHUNK = 150


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).casefold()


@pytest.mark.shared
def test_document_names_help_questions_that_name_a_document(shared: Path) -> None:
    chunks: list[Chunk] = []
    for path in sorted((shared / "corpus" / "defense-docs").glob("*.txt")):
        words = path.read_text(encoding="utf-8").split()
        for start in range(0, len(words), WORDS_PER_CHUNK):
            text = " ".join(words[start : start + WORDS_PER_CHUNK])
            chunks.append(
                Chunk.make(
                    doc_id=path.stem,
                    title=title_from_stem(path.stem),
                    pages=(),
                    section=None,
                    text=f"{text} [{start}]",
                    source=str(path),
                )
            )
    by_id = {c.id: c for c in chunks}
    questions = [
        json.loads(line)
        for line in (shared / "eval" / "dev-multi.jsonl").read_text().splitlines()
        if line.strip()
    ]

    def named_doc_share(texts: list[str]) -> tuple[float, int]:
        index = LexicalIndex()
        index.build(list(by_id), texts)
        share, answered = 0.0, 0
        for q in questions:
            ids = index.search(q["question"], k=10).ids
            share += sum(by_id[i].doc_id == q["doc"] for i in ids) / 10 / len(questions)
            answered += any(
                by_id[i].doc_id == q["doc"] and _normal(q["answer"]) in _normal(by_id[i].text)
                for i in ids
            )
        return share, answered

    plain_share, plain_answered = named_doc_share([c.text for c in chunks])
    field_share, field_answered = named_doc_share([lexical_text(c) for c in chunks])
    assert field_share >= plain_share + 0.05
    assert field_answered >= plain_answered
