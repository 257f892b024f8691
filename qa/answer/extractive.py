"""Extractive answers: the best sentences of the retrieved passages, quoted with [n] citations,
the answering phrase marked, and "not found" when the answer model's confidence is low.

The answer model (``qa.answer.model``) ranks the candidate sentences and rows and estimates,
from the question's features, how likely the answer is to hold the fact; the checks here
(names the passages never mention, a figure of another thing, a unit not given) are features
of that estimate and, when it says "not found", the reason given to the reader.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import numpy as np

from qa.answer.citations import PageLocator, cite
from qa.answer.features import QuestionSignals, question_features
from qa.answer.model import AnswerModel, load_model
from qa.answer.question import Expect, QuestionAnalysis, analyse
from qa.answer.ranking import Ranking, ScoredSentence, near_best, score_sentences
from qa.answer.scoring import document_stems, passage_stems, spelled_out_stems
from qa.answer.shortanswer import asking, short_answer
from qa.answer.spans import CLAUSE_BREAK, UNIT_PATTERNS, typed_spans
from qa.encoder import Encoder
from qa.retrieval.dedup import collapse_near_duplicates
from qa.settings import Settings
from qa.text import ASKING_WORDS, ROW_JOINER
from qa.text.words import stem_words, tokenize_for_bm25, words
from qa.types import SURE_CONFIDENCE, Answer, Hit

logger = logging.getLogger(__name__)

CLOSEST_SHOWN = 3
NOT_FOUND = "The indexed documents do not appear to answer this question."
# A question names what it is about ("Turkey", "Leopard 2A8"); when the best passages mention
# few of those names, they are about something else, however close the wording.
NAMED_PASSAGES = 3
_WORD = re.compile(r"[^\W_]+")
# Names and codes in a question: capitalised words past the first, and words with digits.
# A number keeps its decimal point ("Reform 2.0"): split, its digits would match any figure.
_NAME = re.compile(r"\b(?:[A-Z][\w\-]*|[\w\-]*\d(?:[.,]\d|[\w\-])*)")
# A code ("2A8", "TB2", "P-8A") or a word rare in general English ("Tomahawk", "Rooivalk")
# names one particular thing: a passage that never mentions it cannot be about it.
_CODE = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])")
# A model name is a capitalised word and a small number: "Type 32", "Leopard 2" (not a date,
# "June 2019", nor a version, "Reform 2.0").
_MODEL = re.compile(
    r"\b(?!(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December)\b)[A-Z][a-z]+\s\d{1,3}\b(?![.,]\d)"
)
_ACRONYM_PLURAL = re.compile(r"^([A-Z]{2,})s$")
RARE_NAME_ZIPF = 3.0
_UNIT_ASKED = re.compile(
    r"\b(?:in|as a share of|as a percentage of|as a proportion of)\s+(?:\w+\s+)?"
    r"(euros?|lira|rupees?|won|yen|dollars?|gdp|percent)\b",
    re.IGNORECASE,
)
# Words for a force's people: a count of any of them answers "how many" about the others.
_PEOPLE = frozenset(
    stem_words(
        words(
            "troops personnel soldiers servicemembers members staff servicemen servicewomen "
            "forces people reservists conscripts recruits sailors airmen marines officers"
        )
    )
)
_KIND_WORDS = {
    Expect.NUMBER: "a figure",
    Expect.DATE: "a date",
    Expect.DURATION: "a length of time",
}


def named_terms(question: str) -> frozenset[str]:
    """Stemmed names and codes in ``question`` (its first word is capitalised by grammar)."""
    body = question.strip()
    first = _WORD.match(body)
    if first is not None:
        body = body[first.end() :]
    # A question inside another ("... (What share of GDP ...)") capitalises no name.
    names = [n for n in _NAME.findall(body) if n.lower() not in ASKING_WORDS]
    return frozenset(tokenize_for_bm25([" ".join(names)])[0])


def _present(hits: Sequence[Hit]) -> set[str]:
    present: set[str] = set()
    for hit in hits[:NAMED_PASSAGES]:
        present.update(passage_stems(hit))
        present.update(document_stems(hit))
    return present


def named_coverage(question: str, hits: Sequence[Hit]) -> float:
    """Share of the question's names found in the top passages or their document names, [0, 1].

    1.0 when the question names nothing.
    """
    names = named_terms(question)
    if not names:
        return 1.0
    return len(names & _present(hits)) / len(names)


def missing_particular_names(question: str, hits: Sequence[Hit]) -> list[str]:
    """The codes and rare names of ``question`` that no top passage mentions, as asked."""
    from wordfreq import zipf_frequency

    body = question.strip()
    first = _WORD.match(body)
    if first is not None:
        body = body[first.end() :]
    present = _present(hits)
    missing = [
        model
        for model in _MODEL.findall(body)
        if not set(tokenize_for_bm25([model])[0]) <= present or not _mentions_together(model, hits)
    ]
    for found in dict.fromkeys(_NAME.findall(body)):
        name = _ACRONYM_PLURAL.sub(r"\1", found)  # "HQs" is "HQ" in the text
        particular = _CODE.search(name) or zipf_frequency(name.lower(), "en") < RARE_NAME_ZIPF
        stems = tokenize_for_bm25([name])[0]
        if particular and stems and not set(stems) <= present and not _spelled_in(name, hits):
            missing.append(found)
    return missing


_SMALL_WORDS = frozenset({"of", "and", "for", "the", "on", "in", "to"})


def _spelled_in(acronym: str, hits: Sequence[Hit]) -> bool:
    """Whether a top passage writes ``acronym`` out in full: its letters are the initials of
    consecutive capitalised words ("MND" in "... the Ministry of National Defense ...")."""
    if not (2 <= len(acronym) <= 8 and acronym.isalpha() and acronym.isupper()):
        return False
    for hit in hits[:NAMED_PASSAGES]:
        # One letter per word: a capital's own, a space for a lower-case word (which breaks a
        # run); small words ("of", "the") are skipped, as acronyms skip them.
        letters = "".join(
            w[0] if w[0].isupper() else " "
            for w in _WORD.findall(hit.chunk.text)
            if w.lower() not in _SMALL_WORDS
        )
        if acronym in letters:
            return True
    return False


def _mentions_together(model: str, hits: Sequence[Hit]) -> bool:
    """Whether a top passage names ``model`` as written ("Type 32", not "type" and "32")."""
    wanted = " ".join(model.lower().split())
    return any(wanted in " ".join(h.chunk.text.lower().split()) for h in hits[:NAMED_PASSAGES])


def _missing_unit(question: str, carrying: Sequence[ScoredSentence]) -> str:
    """The unit the question asks the figure in ("in euros"), when no sentence that gives a
    figure has it."""
    match = _UNIT_ASKED.search(question)
    if match is None:
        return ""
    asked = match.group(1).lower().rstrip("s")
    pattern = UNIT_PATTERNS.get("percent" if asked == "gdp" else asked)
    if pattern is None or any(pattern.search(s.scored) for s in carrying):
        return ""
    return match.group(1)


def _counted_words(counted: str) -> tuple[set[str], bool]:
    """Stems a sentence giving the figure must mention, and whether they are particular (a
    rare name or code, which must be named itself) or ordinary (a synonym for people will do:
    a question about troops is answered by a count of service members)."""
    from wordfreq import zipf_frequency

    particular = {
        stem
        for word, stem in zip(words(counted), stem_words(words(counted)), strict=True)
        if _CODE.search(word) or zipf_frequency(word, "en") < RARE_NAME_ZIPF
    }
    if particular:
        return particular, True
    stems = set(stem_words(words(counted)))
    if stems & _PEOPLE:
        stems |= _PEOPLE
    return stems, False


_DIGITS = re.compile(r"(?<!\S)\d[\w\-]*")
# How far after a figure the thing it counts may be named ("8 of the new Type 32 frigates").
COUNTED_WINDOW_CHARS = 40


def _counts(sentence: str, wanted: set[str], codes: set[str]) -> bool:
    """Whether a figure in ``sentence`` is followed closely by every stem in ``wanted`` and
    every designation number in ``codes`` (the 32 of "Type 32")."""
    for span in typed_spans(sentence):
        if span.kind is Expect.NUMBER:
            after = sentence[span.end : span.end + COUNTED_WINDOW_CHARS]
            after = CLAUSE_BREAK.split(after, maxsplit=1)[0]
            if wanted <= set(stem_words(words(after))) and codes <= set(_DIGITS.findall(after)):
                return True
    return False


def _uncounted(
    analysis: QuestionAnalysis, carrying: Sequence[ScoredSentence], hits: Sequence[Hit]
) -> bool:
    """A "how many X" question whose figures all count something other than X.

    X is enough mentioned anywhere in a sentence with a figure (also as an acronym: "WPs"
    for "watch posts"), except a numbered model ("Type 32 frigates"), which must follow a
    figure in its clause: a sentence naming it beside other models' counts does not count it.
    """
    if analysis.expect is not Expect.NUMBER or not analysis.counted or not analysis.countable:
        return False
    wanted, _ = _counted_words(analysis.counted)
    codes = set(_DIGITS.findall(analysis.counted))
    if codes:
        return not any(_counts(s.sentence.text, wanted, codes) for s in carrying)
    return not any(
        wanted & (set(stem_words(words(s.scored))) | spelled_out_stems(s.scored, hits[s.passage]))
        for s in carrying
    )


def question_signals(
    question: str,
    analysis: QuestionAnalysis,
    hits: Sequence[Hit],
    carrying: Sequence[ScoredSentence],
) -> QuestionSignals:
    """The checks of the passages against the question; ``carrying`` are the ranked candidates
    holding the asked-for kind of phrase."""
    return QuestionSignals(
        named_coverage=named_coverage(question, hits),
        missing_names=tuple(missing_particular_names(question, hits)),
        uncounted=_uncounted(analysis, carrying, hits),
        missing_unit=_missing_unit(question, carrying),
        question_terms=len(named_terms(question)),
    )


def why_not_found(
    analysis: QuestionAnalysis, ranking: Ranking, signals: QuestionSignals, settings: Settings
) -> str:
    """What the passages lack: a line for the reader of a "not found"."""
    if not ranking.sentences:
        return "no passage was found"
    if signals.missing_names:
        return f"no passage mentions {', '.join(signals.missing_names)}"
    if signals.named_coverage < settings.min_named_coverage:
        return "the closest passages are about something else"
    kind = _KIND_WORDS.get(analysis.expect)
    if kind is not None and not any(s.carries for s in ranking.sentences):
        return f"no passage on this gives {kind}"
    if signals.uncounted:
        return f"no passage gives the number of {analysis.counted}"
    if signals.missing_unit:
        return f"no passage gives the figure in {signals.missing_unit}"
    return "no passage addresses the question closely enough"


def _select(ranking: Ranking, model: AnswerModel, settings: Settings) -> list[ScoredSentence]:
    """The best candidate, and up to ``answer_sentences`` in all that the model rates at least
    ``model.extra_share`` as likely, near-duplicates dropped."""
    near = near_best(ranking.logits, model.extra_share)
    strong = [s for s, kept in zip(ranking.sentences, near, strict=True) if kept]
    keep = collapse_near_duplicates([s.sentence.text for s in strong], settings.dedup_overlap)
    return [strong[i] for i in keep][: settings.answer_sentences]


def _quote(text: str, chosen: Sequence[ScoredSentence]) -> str:
    """One verbatim quote for a passage: the span of adjacent chosen sentences of one paragraph,
    else the best; a table's chosen rows in order, joined by ``ROW_JOINER``."""
    ordered = sorted(chosen, key=lambda s: s.index)
    if ordered[0].row is not None:
        return ROW_JOINER.join(s.sentence.text for s in ordered)
    adjacent = ordered[-1].index - ordered[0].index == len(ordered) - 1
    span = text[ordered[0].sentence.start : ordered[-1].sentence.end]
    if adjacent and "\n" not in span:
        return span
    return max(chosen, key=lambda s: s.logit).sentence.text


def _runs(hit: Hit, sentences: Sequence[ScoredSentence]) -> list[list[ScoredSentence]]:
    """The chosen sentences of one passage as quotes: runs of neighbours in one paragraph, in
    reading order, so that every sentence of the answer is in the quote its marker cites (a
    table's rows are one quote)."""
    in_order = sorted(sentences, key=lambda s: s.index)
    if in_order[0].row is not None:
        return [in_order]
    runs = [[in_order[0]]]
    for sentence in in_order[1:]:
        last = runs[-1][-1]
        between = hit.chunk.text[last.sentence.end : sentence.sentence.start]
        if sentence.index == last.index + 1 and "\n" not in between:
            runs[-1].append(sentence)
        else:
            runs.append([sentence])
    return runs


def _answer_found(
    question: str,
    analysis: QuestionAnalysis,
    hits: Sequence[Hit],
    chosen: Sequence[ScoredSentence],
    locate: PageLocator | None,
    model: AnswerModel,
    confidence: float,
    own_words: Sequence[str] | None = None,
) -> Answer:
    # Passages in the order of their best sentence; sentences in reading order inside each.
    by_passage: dict[int, list[ScoredSentence]] = {}
    for s in chosen:
        by_passage.setdefault(s.passage, []).append(s)
    parts: list[str] = []
    citations = []
    quotes = [(p, run) for p, sentences in by_passage.items() for run in _runs(hits[p], sentences)]
    for n, (p, in_order) in enumerate(quotes, start=1):
        hit = hits[p]
        joiner = ROW_JOINER if in_order[0].row is not None else " "
        parts.append(joiner.join(s.sentence.text for s in in_order) + f" [{n}]")
        rows = [s.row for s in in_order if s.row is not None]
        citations.append(cite(n, hit, _quote(hit.chunk.text, in_order), locate, rows))
    # A short answer states the fact in bold: only for an answer more likely right than wrong.
    sure = confidence >= SURE_CONFIDENCE
    asked = asking(question, own_words)
    short = (
        short_answer(
            analysis,
            asked,
            [s.sentence.text for s in chosen],
            [s.probability for s in chosen],
            model,
        )
        if sure
        else None
    )
    return Answer(
        question,
        " ".join(parts),
        tuple(citations),
        True,
        tuple(hits),
        short=short,
        confidence=confidence,
    )


def _answer_not_found(
    question: str,
    hits: Sequence[Hit],
    scored: Sequence[ScoredSentence],
    locate: PageLocator | None,
    reason: str,
    confidence: float,
) -> Answer:
    best_in_passage: dict[int, ScoredSentence] = {}
    for s in scored:
        best_in_passage.setdefault(s.passage, s)
    shown = list(best_in_passage.values())[:CLOSEST_SHOWN]
    text = f"{NOT_FOUND[:-1]}: {reason}."
    citations = [
        cite(n, hits[s.passage], s.sentence.text, locate, [s.row] if s.row is not None else [])
        for n, s in enumerate(shown, start=1)
    ]
    if citations:
        lines = [f"- {c.label}: “{c.quote}” [{c.n}]" for c in citations]
        text += " The closest passages are:\n" + "\n".join(lines)
    return Answer(
        question,
        text,
        tuple(citations),
        False,
        tuple(hits),
        missing=reason,
        confidence=confidence,
    )


def extractive_answer(
    question: str,
    hits: Sequence[Hit],
    encoder: Encoder,
    settings: Settings,
    *,
    query_vector: np.ndarray | None = None,
    locate: PageLocator | None = None,
    own_words: Sequence[str] | None = None,
    model: AnswerModel | None = None,
) -> Answer:
    """Answer with the best-ranked sentences of the top passages, each group cited ``[n]``.

    ``found`` is False when the model's confidence is below ``settings.min_confidence`` (by
    default the threshold fitted with the model): the text then says what the passages lack
    (see ``why_not_found``) and lists the closest passages, still cited. ``Answer.short`` is
    the phrase that answers, a slice of a quoted sentence. ``locate`` narrows each citation to
    the page its quote sits on; ``own_words`` marks the words a follow-up asked itself (see
    ``question_terms``); ``model`` defaults to ``settings.answer_model`` or the shipped one.
    """
    model = model or load_model(settings.answer_model)
    analysis = analyse(question)
    ranking = score_sentences(
        question,
        hits,
        encoder,
        settings,
        model,
        analysis=analysis,
        query_vector=query_vector,
        own_words=own_words,
    )
    carrying = [s for s in ranking.sentences if s.carries]
    signals = question_signals(question, analysis, hits, carrying)
    features = question_features(ranking.logits, ranking.rows, analysis, signals)
    confidence = float(model.confidence.probabilities(features)[0])
    threshold = model.threshold if settings.min_confidence is None else settings.min_confidence
    logger.debug("%r: confidence %.3f (threshold %.3f)", question, confidence, threshold)
    if not ranking.sentences or confidence < threshold:
        reason = why_not_found(analysis, ranking, signals, settings)
        return _answer_not_found(question, hits, ranking.sentences, locate, reason, confidence)
    chosen = _select(ranking, model, settings)
    return _answer_found(
        question, analysis, hits, chosen, locate, model, confidence, own_words=own_words
    )
