from __future__ import annotations

import re

import numpy as np

from qa.answer.extractive import _answer_found, extractive_answer
from qa.answer.model import load_model
from qa.answer.question import analyse
from qa.answer.ranking import ScoredSentence, score_sentences
from qa.answer.scoring import lexical_overlap, question_terms
from qa.answer.signals import missing_particular_names, named_coverage, named_terms
from qa.settings import Settings
from qa.text.sentences import split_sentences
from qa.types import Chunk, Hit
from tests.fakes import FakeEncoder

NAVY = (
    "Chapter 4. Maritime Forces\n"
    "The fleet held its annual review at the southern port. "
    "The navy commissioned four diesel submarines in 2019 to guard the western strait. "
    "Each submarine carries a crew of fifty sailors. "
    "Harbour pilots were trained separately."
)
BUDGET = (
    "Spending rose again last year. "
    "The submarine programme received 2.1 billion for crews, torpedoes and sonar upgrades. "
    "Road maintenance at inland bases was postponed."
)
WEATHER = (
    "Winter storms closed the mountain passes for three weeks. "
    "Snow clearing teams worked in twelve-hour shifts."
)


def hit(rank: int, text: str, *, doc: str, pages: tuple[int, ...]) -> Hit:
    chunk = Chunk.make(
        doc_id=doc, title=f"{doc} White Paper", pages=pages, section=None, text=text, source=None
    )
    return Hit(chunk=chunk, score=1.0 / rank, rank=rank)


HITS = [
    hit(1, NAVY, doc="alpha", pages=(12,)),
    hit(2, BUDGET, doc="alpha", pages=(40, 41)),
    hit(3, WEATHER, doc="beta", pages=(3,)),
]
SETTINGS = Settings(answer_passages=3, answer_sentences=3)
MODEL = load_model()


def ranked(
    question: str,
    hits: list[Hit],
    encoder: FakeEncoder,
    settings: Settings = SETTINGS,
    **options: np.ndarray,
) -> tuple[ScoredSentence, ...]:
    return score_sentences(question, hits, encoder, settings, MODEL, **options).sentences


MARKER = re.compile(r"\[(\d+)\]")


def test_answer_quotes_the_relevant_sentence_with_a_matching_citation() -> None:
    question = "How many submarines did the navy commission in 2019?"
    answer = extractive_answer(question, HITS, FakeEncoder(), SETTINGS)
    assert answer.found
    assert "The navy commissioned four diesel submarines in 2019" in answer.text
    assert "Winter storms" not in answer.text
    assert answer.mode == "extractive"
    assert answer.hits == tuple(HITS)
    first = answer.citations[0]
    assert (first.n, first.doc_id, first.pages) == (1, "alpha", (12,))
    assert first.passage == NAVY
    assert first.chunk_id == HITS[0].chunk.id


def test_markers_match_citations_and_quotes_are_verbatim() -> None:
    question = "How many sailors crew each submarine the navy commissioned?"
    answer = extractive_answer(question, HITS, FakeEncoder(), SETTINGS)
    assert answer.found
    markers = [int(n) for n in MARKER.findall(answer.text)]
    assert markers == [c.n for c in answer.citations] == list(range(1, len(markers) + 1))
    by_id = {h.chunk.id: h.chunk for h in HITS}
    for citation in answer.citations:
        chunk = by_id[citation.chunk_id]
        assert citation.quote in chunk.text
        assert citation.pages == chunk.pages
        assert citation.title == chunk.title
    # Every sentence written before marker [n] is quoted verbatim from citation n's chunk.
    for n, segment in enumerate(re.split(r"\s*\[\d+\]\s*", answer.text)[:-1], start=1):
        chunk_text = by_id[answer.citations[n - 1].chunk_id].text
        assert all(s.text in chunk_text for s in split_sentences(segment))


def test_sentences_apart_in_one_passage_get_a_quote_each() -> None:
    navy = hit(1, NAVY, doc="alpha", pages=(12,))
    chosen = [
        ScoredSentence(0, i, s, 0.5, 0.5, 0.5, 0.0)
        for i, s in enumerate(split_sentences(NAVY))
        if "commissioned" in s.text or "Harbour pilots" in s.text
    ]
    answer = _answer_found("q?", analyse("q?"), [navy], chosen, None, MODEL, 0.9)
    # One sentence lies between them: each is quoted under its own marker.
    assert [c.quote for c in answer.citations] == [chosen[0].sentence.text, chosen[1].sentence.text]
    assert answer.text == f"{chosen[0].sentence.text} [1] {chosen[1].sentence.text} [2]"


def test_sentences_from_one_passage_keep_reading_order() -> None:
    question = "How many sailors crew each submarine the navy commissioned in 2019?"
    scored = ranked(question, HITS, FakeEncoder())
    assert scored[0].sentence.text.startswith("Each submarine")  # best, but later in the text
    answer = extractive_answer(question, HITS, FakeEncoder(), SETTINGS)
    commissioned = answer.text.find("The navy commissioned")
    crew = answer.text.find("Each submarine carries")
    assert 0 <= commissioned < crew
    # Adjacent sentences are cited as one contiguous quote from the passage.
    assert answer.citations[0].quote in NAVY
    assert "commissioned" in answer.citations[0].quote and "fifty" in answer.citations[0].quote


def test_near_duplicate_sentences_are_not_repeated() -> None:
    reprint = hit(2, NAVY.replace("Chapter 4.", "Annex B."), doc="gamma", pages=(99,))
    question = "How many submarines did the navy commission in 2019?"
    answer = extractive_answer(question, [HITS[0], reprint], FakeEncoder(), SETTINGS)
    assert answer.text.count("The navy commissioned four diesel submarines") == 1


def test_headings_and_fragments_are_not_quoted() -> None:
    question = "Maritime Forces chapter"
    scored = ranked(question, HITS, FakeEncoder())
    assert all("Chapter 4" not in s.sentence.text for s in scored)


def test_unrelated_question_abstains_and_lists_closest_passages() -> None:
    question = "What is a good recipe for chocolate cake frosting?"
    answer = extractive_answer(question, HITS, FakeEncoder(), SETTINGS)
    assert not answer.found
    assert "do not appear to answer" in answer.text
    assert answer.citations
    markers = [int(n) for n in MARKER.findall(answer.text)]
    assert markers == [c.n for c in answer.citations]
    for citation in answer.citations:
        assert citation.quote in citation.passage


def test_confidence_separates_related_from_unrelated_and_its_threshold_can_be_raised() -> None:
    encoder = FakeEncoder()
    related = extractive_answer("When did the navy commission submarines?", HITS, encoder, SETTINGS)
    unrelated = extractive_answer("chocolate cake frosting recipe", HITS, encoder, SETTINGS)
    assert related.confidence is not None and unrelated.confidence is not None
    assert related.found and related.confidence > unrelated.confidence
    strict = Settings(min_confidence=1.0)
    answer = extractive_answer("When did the navy commission submarines?", HITS, encoder, strict)
    assert not answer.found and answer.confidence == related.confidence


def test_no_hits_means_not_found_without_citations() -> None:
    answer = extractive_answer("Anything?", [], FakeEncoder(), SETTINGS)
    assert not answer.found
    assert answer.citations == ()


def test_sentences_are_encoded_in_one_call_and_query_vector_is_reused() -> None:
    encoder = FakeEncoder(dimension=48)  # its own fingerprint: nothing cached from other tests
    question = "What did the harbour pilots and snow clearing teams train for?"
    vector = encoder.encode([question])[0]
    encoder.calls = encoder.encoded = 0
    scored = ranked(question, HITS, encoder, query_vector=vector)
    assert encoder.calls == 1
    assert encoder.encoded == len(scored)  # the sentences only, not the question again
    ranked(question, HITS, encoder, query_vector=vector)
    assert encoder.calls == 1  # the same passages again: vectors come from the cache
    fresh = FakeEncoder(dimension=40)
    ranked(question, HITS, fresh)
    assert fresh.calls == 1
    assert fresh.encoded == len(scored) + 1  # without a query vector the question joins the batch


def test_only_the_top_answer_passages_are_read() -> None:
    settings = Settings(answer_passages=1)
    scored = ranked("snow clearing shifts winter storms", HITS, FakeEncoder(), settings)
    assert {s.passage for s in scored} == {0}
    assert np.all(np.diff([s.logit for s in scored]) <= 0)


def test_question_words_weigh_by_rarity_and_match_figures() -> None:
    terms = question_terms("According to the paper, what was the KRW 46.7 trillion budget?")
    assert "accord" not in terms and "paper" not in terms
    assert terms["krw"] > terms["budget"] > 0
    assert lexical_overlap(terms, "The budget reached KRW 46.7 trillion.") == 1.0
    assert lexical_overlap(terms, "The budget reached KRW 46 trillion.") < 1.0
    # Words of the document's own title count as present in each of its sentences.
    title_terms = question_terms("What does Japan's strategy say about missiles?")
    assert lexical_overlap(title_terms, "Missiles matter.") < 1.0
    assert lexical_overlap(title_terms, "Missiles matter.", frozenset({"japan", "strategi"})) == 1.0


def test_acronyms_and_the_passage_subject_count_towards_a_sentence() -> None:
    terms = question_terms("How many watch posts did the Harbour Authority close?")
    sentence = "Two WPs were closed in March."
    bare = lexical_overlap(terms, sentence)
    spelled = lexical_overlap(terms, sentence, frozenset({"watch", "post"}))
    # "Harbour Authority" is only named elsewhere in the passage: it counts, but less.
    around = lexical_overlap(
        terms, sentence, frozenset({"watch", "post"}), frozenset({"harbour", "author"})
    )
    assert bare < spelled < around < 1.0


def test_a_passage_glossary_answers_a_question_in_full_words() -> None:
    chunk = Chunk.make(
        doc_id="alpha",
        title="alpha White Paper",
        pages=(5,),
        section=None,
        text="Four WPs were closed on the northern breakwater in 2031.",
        source=None,
        glossary=("WP: watch posts",),
    )
    hits = [Hit(chunk=chunk, score=1.0, rank=1), HITS[2]]
    question = "How many watch posts were closed on the breakwater?"
    answer = extractive_answer(question, hits, FakeEncoder(), SETTINGS)
    assert answer.found
    assert "Four WPs were closed" in answer.text


def test_named_coverage_counts_names_and_codes_but_not_the_first_word() -> None:
    assert named_terms("Which fleet did Zembla order in 2019?") == frozenset({"zembla", "2019"})
    assert named_coverage("What did the navy commission in 2019?", HITS) == 1.0
    # A follow-up resolved with the question it follows: its "What" is no name either.
    assert named_terms("And the budget? (What did Zembla order?)") == frozenset({"zembla"})
    assert named_coverage("What did Zembla commission in 2019?", HITS) == 0.5


def test_not_found_text_names_the_same_page_as_its_citation() -> None:
    def on_last_page(doc_id: str, pages: tuple[int, ...], quote: str) -> tuple[int, ...]:
        return pages[-1:]

    answer = extractive_answer(
        "What is the capital of Zembla?", HITS, FakeEncoder(), SETTINGS, locate=on_last_page
    )
    assert not answer.found
    budget = next(c for c in answer.citations if c.doc_id == "alpha" and "programme" in c.quote)
    assert budget.pages == (41,)
    assert "alpha White Paper, p. 41:" in answer.text
    assert "pp. 40-41" not in answer.text


FLEET_TABLE = (
    "Cutter Fleet by Station\n"
    "| Station | Cutters | Crews |\n| --- | --- | --- |\n"
    "| North Sound | 4 | 60 |\n| Outer Banks | 2 | 30 |"
)


def _lifted_hit(rank: int, text: str, kind: str, label: str) -> Hit:
    chunk = Chunk.make(
        doc_id="gamma",
        title="Coastal Review",
        pages=(9,),
        section=None,
        text=text,
        source=None,
        kind=kind,
        block_label=label,
    )
    return Hit(chunk=chunk, score=1.0 / rank, rank=rank)


def test_table_answer_quotes_the_matching_row_and_carries_it_under_the_header() -> None:
    hits = [_lifted_hit(1, FLEET_TABLE, "table", "Table 4-1"), HITS[2]]
    answer = extractive_answer(
        "How many cutters are at the North Sound station?", hits, FakeEncoder(), SETTINGS
    )
    assert answer.found
    (citation,) = [c for c in answer.citations if c.kind == "table"]
    assert citation.quote == "North Sound; 4; 60"
    assert citation.table == (("Station", "Cutters", "Crews"), ("North Sound", "4", "60"))
    assert citation.label == "Coastal Review, Table 4-1, p. 9"
    assert "|" not in answer.text
    assert citation.to_dict()["table"] == (
        "| Station | Cutters | Crews |\n| --- | --- | --- |\n| North Sound | 4 | 60 |"
    )


def test_figure_is_cited_by_its_label_and_the_label_is_not_quoted() -> None:
    chart = "Chart 6-1 Ports Visited by the Squadron Aldport (1998) Bexhaven (2004) Corrin (2011)"
    hits = [_lifted_hit(1, chart, "figure", "Chart 6-1")]
    answer = extractive_answer(
        "Which ports were visited by the squadron?", hits, FakeEncoder(), SETTINGS
    )
    (citation,) = answer.citations
    assert citation.label == "Coastal Review, Chart 6-1, p. 9"
    assert citation.quote.startswith("Ports Visited by the Squadron")
    assert citation.quote in chart


def test_long_label_runs_of_a_diagram_are_never_quoted() -> None:
    diagram = "Chart 2-1 Command Structure " + " ".join(f"Unit{i} Office" for i in range(30))
    hits = [_lifted_hit(1, diagram, "figure", "Chart 2-1"), HITS[0]]
    scored = ranked("Which units make up the command structure?", hits, FakeEncoder())
    assert all(s.passage == 1 for s in scored)


def test_a_count_of_other_models_does_not_answer_how_many_of_a_named_model() -> None:
    text = (
        "The coast guard will retire its older patrol boats by 2030. "
        "It plans to buy four Mark 6 cutters and to study the Mark 7 cutter design."
    )
    hits = [hit(1, text, doc="gamma", pages=(8,))]
    asked = "How many Mark 6 cutters will the coast guard buy?"
    answered = extractive_answer(asked, hits, FakeEncoder(), SETTINGS)
    assert answered.found and answered.short == "four"
    unknown = "How many Mark 7 cutters will the coast guard buy?"
    assert not extractive_answer(unknown, hits, FakeEncoder(), SETTINGS).found


def test_a_name_is_missing_only_when_no_form_of_it_is_in_the_passages() -> None:
    text = "The Ministry of Harbour Defence ordered four cutters in 2031."
    hits = [hit(1, text, doc="gamma", pages=(8,))]
    # Written out in full in the passage: the acronym is not missing.
    assert missing_particular_names("How many cutters did the MHD order?", hits) == []
    assert missing_particular_names("How many cutters did the QZX order?", hits) == ["QZX"]


def test_a_short_answer_is_given_only_to_an_answer_more_likely_right_than_wrong() -> None:
    question = "How many submarines did the navy commission in 2019?"
    chosen = [
        ScoredSentence(0, i, s, 0.5, 0.5, 0.5, 0.0)
        for i, s in enumerate(split_sentences(NAVY))
        if "commissioned" in s.text
    ]
    sure = _answer_found(question, analyse(question), HITS, chosen, None, MODEL, 0.9)
    unsure = _answer_found(question, analyse(question), HITS, chosen, None, MODEL, 0.4)
    assert sure.short == "four diesel submarines" and not sure.tentative
    assert unsure.short is None and unsure.tentative and unsure.text == sure.text
