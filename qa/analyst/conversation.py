"""Follow-up questions: what an earlier turn lends to a question that leans on it.

No language model: a follow-up is recognised by its form (a leading "and" / "what about",
an ellipsis too short to stand alone, a pronoun or demonstrative with nothing in the question
to refer to) and resolved against the previous question:

- an ellipsis swaps its phrases into the previous question, phrase for phrase ("And in 2020?"
  after "How big was the budget in 2019?" searches "How big was the budget in 2020?");
- any other follow-up keeps its own words and gains the previous question's topic words.

A self-contained question is left untouched.

~350 lines: recognising a follow-up and rewriting it share one small grammar of phrases.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from qa.analyst.naming import without_scope
from qa.errors import InvalidQuestion
from qa.text import word_set
from qa.types import Answer

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"[\w’'\-.]+|[^\w\s]")
_LEAD = re.compile(
    r"^\s*(?:and|also|but|so|then|now)?\s*(?:what|how)\s+about\s+|^\s*and\s+|^\s*also\s+|"
    r"^\s*(?:what|how)\s+about\s+|^\s*same\s+(?:for|with)\s+",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|"
    r"will|would|has|have|had|should|in\s+what|by\s+how)\b",
    re.IGNORECASE,
)
# Words that stand for something said before. Possessives ("its", "their") are left out:
# they mostly point inside their own question ("troops who lost their lives").
_ANAPHORS = word_set("it they them those these he him she such there")
_DEMONSTRATIVES = word_set("that this")
_POSSESSIVE_OR_PRONOUN = _ANAPHORS | _DEMONSTRATIVES | word_set("its their his her theirs")
# After these, "that" opens a clause ("so that", "problems that exceed"), not a reference.
_CLAUSE_THAT = word_set("so such now given provided ensure ensuring")
_FUNCTION = word_set(
    "a an the of in on at by for to from with under over into onto about as and or but "
    "is are was were be been being do does did has have had can could will would should "
    "what which who whom whose when where why how than then also"
)
_PREPOSITIONS = word_set(
    "in on at by for to from with under over into onto about during after before since "
    "between among against per via within without across toward towards among"
)
_ORDINAL = re.compile(
    r"^(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    r"last|next|previous|\d+(?:st|nd|rd|th))$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(?:1[89]|20)\d\d$")
_NUMBER = re.compile(r"^\d[\d,.]*$")
# Phrases that point back at the previous turn without a pronoun.
_BACK_REFERENCES = re.compile(
    r"\b(?:compare[sd]?|comparison|the following year|the year before|the previous|"
    r"the same|the former|the latter|the rest|the others?|in turn)\b",
    re.IGNORECASE,
)
_MONTHS = word_set(
    "january february march april may june july august september october november december"
)
# A question with fewer content words than this cannot stand alone.
SHORT_QUESTION_WORDS = 3
# A pronoun in a long, specific question usually points inside it.
REFERRING_MAX_WORDS = 9


@dataclass(frozen=True)
class Resolution:
    """How a question was read in its conversation.

    ``query`` is what is searched (the question itself unless it is a follow-up);
    ``own_words`` are the question's own content words, which the answer should favour over
    the words borrowed from earlier turns; ``prefer`` maps document ids to the pages the
    previous answer cited, for a follow-up about the same thing.
    """

    question: str
    query: str
    followup: bool = False
    own_words: tuple[str, ...] = ()
    prefer: dict[str, tuple[int, ...]] = field(default_factory=dict)


Turn = str | tuple[str, Answer | None] | Answer
"""An earlier turn: its question, ``(question, answer)``, or the ``Answer`` (which knows its
question and the query it resolved to)."""


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _content(tokens: Sequence[str]) -> list[str]:
    return [t for t in tokens if t[0].isalnum() and t.lower() not in _FUNCTION]


def _is_entity(token: str, position: int) -> bool:
    """A name, acronym or figure: capitalised past the first word, or with a digit."""
    return any(c.isdigit() for c in token) or (position > 0 and token[0].isupper())


def _is_name(token: str, position: int) -> bool:
    """A name or acronym: what a question is about, unlike its dates and figures."""
    return position > 0 and token[0].isupper() and token.lower() not in _MONTHS


def _dangling_reference(tokens: Sequence[str]) -> bool:
    """A pronoun or demonstrative with nothing earlier in the question to stand for."""
    lowered = [t.lower() for t in tokens]
    for i, word in enumerate(lowered):
        if word in _ANAPHORS:
            following = lowered[i + 1] if i + 1 < len(lowered) else ""
            if following == "own":  # "its own capacity" refers inside the question
                continue
            if word in ("there", "such") and i == 0:
                continue
            return True
        if word in _DEMONSTRATIVES:
            previous = lowered[i - 1] if i else ""
            # "problems that exceed" and "so that" open clauses; "does that compare",
            # "on that measure" and "that group" point back.
            if previous in _CLAUSE_THAT or (previous and previous not in _FUNCTION):
                continue
            return True
    return False


def is_followup(question: str, previous: str | None = None) -> bool:
    """Whether ``question`` leans on an earlier turn (``previous``) rather than standing alone."""
    tokens = _tokens(question)
    if _LEAD.match(question):
        return True
    content = _content(tokens)
    if len(content) < SHORT_QUESTION_WORDS:
        return True
    names = [t for i, t in enumerate(tokens) if _is_name(t, i)]
    if _BACK_REFERENCES.search(question) and len(names) <= 2:
        return True
    if len(content) > REFERRING_MAX_WORDS or len(names) > 1:
        return False
    if _dangling_reference(tokens):
        return True
    # "What is the unit made up of?" after a question about the Cheonghae Unit.
    if previous and not names:
        earlier = {w.lower().rstrip("s") for w in _content(_tokens(previous))}
        lowered = [t.lower() for t in tokens]
        return any(
            lowered[i - 1] == "the" and word.rstrip("s") in earlier
            for i, word in enumerate(lowered)
            if i and word not in _FUNCTION
        )
    return False


def turn_from_json(item: object) -> Turn:
    """An earlier turn as a client sends it: the question string, or an answer object as
    ``Answer.to_dict`` gave it (``{"question": ..., "text": ..., "citations": [...]}``)."""
    if isinstance(item, str) and item.strip():
        return item
    if isinstance(item, dict) and isinstance(item.get("question"), str):
        if "text" in item or "citations" in item:
            try:
                return Answer.from_dict(item)
            except (KeyError, TypeError, ValueError) as error:
                raise InvalidQuestion(f"unreadable answer in the history: {error}") from error
        return item["question"]
    raise InvalidQuestion(
        f"each history item must be a question or an answer object, got {str(item)[:80]!r}"
    )


def turn_question(turn: Turn) -> str:
    """The question a turn asked, as it was searched."""
    return _turn_parts(turn)[0]


def _turn_parts(turn: Turn) -> tuple[str, Answer | None]:
    # What a follow-up leans on is the query, not the note of the document it was searched in.
    if isinstance(turn, Answer):
        return without_scope(turn.resolved_question or turn.question), turn
    if isinstance(turn, tuple):
        question, answer = turn
        if answer is not None and answer.resolved_question:
            return without_scope(answer.resolved_question), answer
        return question, answer
    return turn, None


def _segments(tokens: Sequence[str]) -> list[list[str]]:
    """Tokens cut before each preposition: ``in 2020`` / ``for the Air Force`` ..."""
    segments: list[list[str]] = [[]]
    for token in tokens:
        if token.lower() in _PREPOSITIONS and segments[-1]:
            segments.append([])
        segments[-1].append(token)
    return [s for s in segments if s]


def _kind(token: str) -> str:
    if _YEAR.match(token):
        return "year"
    if _ORDINAL.match(token):
        return "ordinal"
    if _NUMBER.match(token):
        return "number"
    if token[0].isupper():
        return "name"
    return ""


def _spans_of_kind(tokens: Sequence[str], kind: str) -> list[tuple[int, int]]:
    """(start, end) runs of tokens of ``kind`` in ``tokens`` (names run over "and", "of")."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        if i > 0 and _kind(tokens[i]) == kind:
            j = i + 1
            while j < len(tokens) and (
                _kind(tokens[j]) == kind
                or (
                    kind == "name"
                    and tokens[j].lower() in ("and", "of", "&")
                    and j + 1 < len(tokens)
                    and _kind(tokens[j + 1]) == "name"
                )
            ):
                j += 1
            spans.append((i, j))
            i = j
        else:
            i += 1
    return spans


def _substitute(fragment: str, previous: str) -> str | None:
    """The previous question with the fragment's phrases swapped in, or None if none fits."""
    target = _tokens(previous)
    changed = False
    for segment in _segments(_tokens(fragment)):
        head = segment[0].lower()
        if head in _PREPOSITIONS:
            # Same preposition in the previous question: swap that phrase.
            for start, token in enumerate(target):
                if token.lower() != head:
                    continue
                end = start + 1
                while (
                    end < len(target)
                    and target[end].lower() not in _PREPOSITIONS
                    and target[end] not in "?,;"
                    # a name ends the phrase: "in Corridor West | first set up"
                    and not (target[end][0].islower() and target[end - 1][0].isupper())
                ):
                    end += 1
                target[start:end] = segment
                changed = True
                break
            else:
                segment = segment[1:]  # no such phrase: try the entity inside it
            if changed and target[start : start + len(segment)] == segment:
                continue
        words = [t for t in segment if t.lower() not in _FUNCTION and t[0].isalnum()]
        if not words:
            continue
        kind = _kind(words[0])
        spans = _spans_of_kind(target, kind) if kind else []
        if spans:
            # The phrase sharing a word with the new one, else the last: a question's
            # subject ("the MND") tends to come first, what it asks about later.
            own = {w.lower() for w in words}
            start, end = max(
                spans,
                key=lambda span: (bool(own & {t.lower() for t in target[slice(*span)]}), span),
            )
            named = [t for t in segment if t.lower() not in ("the", "a", "an", "one")]
            if kind == "ordinal":
                named = [words[0]]
            elif "of" in target[start:end] and "of" not in named:
                # "the Navy" after "the Land Forces of Valdoria": still of Valdoria.
                end = start + target[start:end].index("of")
            target[start:end] = named
            changed = True
    if not changed:
        if fragment.split()[0].lower() not in _PREPOSITIONS:
            return None
        # Nothing to swap, but a phrase that narrows the question: "And in 2032?".
        end = len(target) - 1 if target and target[-1] in "?." else len(target)
        target[end:end] = _tokens(fragment)
    return _join(target)


def _named_back(question: str, previous: str) -> str | None:
    """``question`` with "that group" / "the unit" replaced by the name it points back to
    ("the Nuclear Suppliers Group"), when the previous question has a name ending in that
    word; None when there is no such reference."""
    tokens = _tokens(question)
    before = _tokens(previous)
    names = [before[start:end] for start, end in _spans_of_kind(before, "name")]
    for i, token in enumerate(tokens[:-1]):
        if token.lower() not in ("that", "this", "the", "these", "those"):
            continue
        head = tokens[i + 1].lower().rstrip("s")
        for name in reversed(names):
            if len(name) > 1 and name[-1].lower().rstrip("s") == head:
                return _join([*tokens[:i], "the", *name, *tokens[i + 2 :]])
    return None


def _join(tokens: Sequence[str]) -> str:
    text = " ".join(tokens)
    text = re.sub(r"\s+([?.,;:!’'])", r"\1", text)
    return re.sub(r"\s+(’s|'s)\b", r"\1", text)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def resolve(question: str, history: Sequence[Turn] | None = None) -> Resolution:
    """Read ``question`` in the light of ``history`` (earlier turns, oldest first)."""
    question = question.strip()
    own = tuple(w for w in _content(_tokens(question)) if w.lower() not in _POSSESSIVE_OR_PRONOUN)
    if not history:
        return Resolution(question, question, own_words=own)
    previous, answer = _turn_parts(history[-1])
    if not is_followup(question, previous):
        return Resolution(question, question, own_words=own)
    fragment = _LEAD.sub("", question).rstrip("?").strip()
    query = None
    if fragment and not _QUESTION_START.match(fragment):
        query = _substitute(fragment, previous)
    if query is None:
        query = _named_back(question, previous)
    if query is None:
        # Its own words first, then the question it leans on, which says what it is about.
        asked = _sentence(_LEAD.sub("", question).strip()) or question
        query = f"{asked} ({previous})"
    # A follow-up naming something new ("what about Japan?") may well be in another document.
    names_something_new = any(
        _is_entity(t, i) and t.lower() not in previous.lower()
        for i, t in enumerate(_tokens(question))
        if t[0].isalpha()
    )
    prefer = {}
    if answer is not None and answer.found and not names_something_new:
        for citation in answer.citations:
            pages = prefer.get(citation.doc_id, ())
            prefer[citation.doc_id] = tuple(sorted({*pages, *citation.pages}))
    logger.debug("follow-up %r resolved to %r", question, query)
    return Resolution(question, query, followup=True, own_words=own, prefer=prefer)
