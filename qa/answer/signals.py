"""The checks of the retrieved passages against the question: names and codes the passages
never mention, a figure of another thing than the one counted, a unit not given. They are
features of the answer model's confidence (``QuestionSignals``) and, when it says "not found",
the reason given to the reader (``why_not_found``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.answer.features import QuestionSignals
from qa.answer.question import Expect, QuestionAnalysis
from qa.answer.ranking import Ranking, ScoredSentence
from qa.answer.scoring import document_stems, passage_stems, spelled_out_stems
from qa.answer.spans import CLAUSE_BREAK, UNIT_PATTERNS, typed_spans
from qa.settings import Settings
from qa.text import ASKING_WORDS
from qa.text.frequency import zipf
from qa.text.words import stem_words, tokenize_for_bm25, words
from qa.types import Hit

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
        particular = _CODE.search(name) or zipf(name) < RARE_NAME_ZIPF
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
    particular = {
        stem
        for word, stem in zip(words(counted), stem_words(words(counted)), strict=True)
        if _CODE.search(word) or zipf(word) < RARE_NAME_ZIPF
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
