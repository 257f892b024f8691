"""Questions made from a document's own text, for the landing page (see ``qa.overview``).

Sentences that state a figure, a count or a founding date about a subject named at their start
are turned round into the question they answer ("The Navy operates four frigates" -> "How many
frigates does the Navy operate?"); well-formed section headings become topics ("What does the
2024 White Paper say about climate change and environment?"). Nothing is written in advance:
the same rules on other documents make other questions.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from wordfreq import zipf_frequency

from qa.compare import title_words
from qa.text import looks_like_heading, word_set
from qa.types import PARAGRAPH, Chunk

logger = logging.getLogger(__name__)

# Candidates asked per suggestion wanted: most pass, and each costs one answer.
CANDIDATES_PER_SUGGESTION = 3
MAX_SENTENCE_WORDS = 40
MAX_SUBJECT_WORDS = 7
# Headings made of words this rare in English are usually broken ones ("Alengers").
MIN_HEADING_ZIPF = 2.0
HEADING_WORDS = (2, 7)
# Specificity of a name; a common word scores this less its Zipf frequency (7 = once a billion
# words... 0 = very common).
NAME_SPECIFICITY = 7.0

_NUMBER_WORDS = (
    "two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty "
    "hundred"
)
_COUNT = rf"(?:\d[\d,.]*|{_NUMBER_WORDS.replace(' ', '|')})"
_SUBJECT = rf"(?P<subject>The(?: [\w’'\-]+){{1,{MAX_SUBJECT_WORDS}}}?)"
# "The defence budget for 2024 is set at 14.2 billion crowns." -> "What is the defence budget
# for 2024?": a copula, then a figure, with only hedges or "set at" between them.
_FIGURE = re.compile(
    _SUBJECT + r" (?P<verb>is|are|was|were|stands at|stood at|amounts to|amounted to|totals|"
    r"totalled|totaled|reached) (?:(?:set|estimated|expected|projected|put|fixed|planned|"
    r"budgeted|at|to|be|about|around|approximately|roughly|nearly|almost|over|just|some|now|"
    r"currently|equal|up|more|less|fewer|than|a|total|of) )*\d"
)
_FIGURE_TENSE = {"are": "are", "were": "were"}
_PAST = word_set("was were stood amounted totalled totaled reached")
# "The Defence Cyber Command was established in March 2022" -> "When was the Defence Cyber
# Command established?"
_FOUNDED = re.compile(
    _SUBJECT + r" (?P<verb>was|were) (?P<done>established|founded|created|formed|launched|"
    r"approved|signed|adopted|introduced|completed|opened|set up|inaugurated) "
    r"(?:in|on) (?:[A-Z][a-z]+ )?(?:\d{1,2} )?(?:1[5-9]|20)\d{2}\b"
)
# "The Navy operates four Heron-class frigates" -> "How many Heron-class frigates does the Navy
# operate?": a verb of having, a count, and the plural noun counted.
_HAVING_VERBS = {
    "operates": "operate", "comprises": "comprise", "employs": "employ", "has": "have",
    "maintains": "maintain", "fields": "field", "includes": "include",
    "operated": "operate", "comprised": "comprise", "employed": "employ", "had": "have",
    "maintained": "maintain", "fielded": "field", "included": "include",
}  # fmt: skip
_HAVING = re.compile(
    _SUBJECT + rf" (?P<verb>{'|'.join(_HAVING_VERBS)}|{'|'.join(set(_HAVING_VERBS.values()))}) "
    rf"(?P<count>{_COUNT}) (?P<noun>(?:[\w\-]+ ){{0,2}}?"
    r"(?:[\w\-]*[^\Ws]s|personnel|staff|people|aircraft))\b"
)
# A subject that points elsewhere ("The first of these", "The latter") makes no question.
_POINTING = word_set(
    "first second third fourth fifth last next same following latter former other rest "
    "remainder above below previous aforementioned"
)
_STRUCTURAL = word_set(
    "chapter section part appendix annex introduction conclusion conclusions contents table "
    "preface foreword summary executive references glossary index abbreviations acronyms "
    "acknowledgements bibliography overview message minister notes annexes"
)
_MINOR_WORDS = word_set("a an and as at by for from in into of on or the to with its their")
_THE_OPENS = re.compile(r"(?:^|(?<=[.!?]\s)|(?<=\n))The ")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_HEADING_PUNCTUATION = re.compile(r"[():;,/|\[\]“”\"]")
_HEADING_NUMBER = re.compile(r"^(?:[\dIVXivx]+(?:\.\d+)*|[A-Z])[.)]\s+")
_WORD = re.compile(r"[^\W\d_][\w’'\-]*")


FACT = "fact"
TOPIC = "topic"


@dataclass(frozen=True)
class Suggestion:
    """A question made from ``doc_id``: a ``fact`` stated in the sentence ``source``, or a
    ``topic`` (a section heading, ``source``) asked about."""

    question: str
    doc_id: str
    title: str
    source: str
    kind: str = FACT

    def to_dict(self) -> dict[str, str]:
        return {
            "question": self.question,
            "doc_id": self.doc_id,
            "title": self.title,
            "source": self.source,
            "kind": self.kind,
        }


def _lower_first(subject: str) -> str:
    return subject[0].lower() + subject[1:]


def _subject_ok(subject: str) -> bool:
    words = subject.split()[1:]
    return bool(words) and words[0].lower() not in _POINTING and not subject.endswith("’s")


def fact_question(sentence: str) -> tuple[str, str] | None:
    """``(question, subject)`` for a sentence stating a figure or a count about a subject
    named at its start, else None."""
    if len(sentence.split()) > MAX_SENTENCE_WORDS:
        return None
    having = _HAVING.match(sentence)
    if having and _subject_ok(having.group("subject")):
        subject, verb = having.group("subject"), having.group("verb")
        base = _HAVING_VERBS.get(verb, verb)
        aux = "do" if verb == base else "did" if verb.endswith(("ed", "had")) else "does"
        noun = having.group("noun")
        return f"How many {noun} {aux} {_lower_first(subject)} {base}?", subject
    founded = _FOUNDED.match(sentence)
    if founded and _subject_ok(founded.group("subject")):
        subject = founded.group("subject")
        question = f"When {founded.group('verb')} {_lower_first(subject)} {founded.group('done')}?"
        return question, subject
    figure = _FIGURE.match(sentence)
    if figure and _subject_ok(figure.group("subject")) and len(figure.group("subject").split()) > 2:
        verb = figure.group("verb").split()[0]
        aux = _FIGURE_TENSE.get(verb, "was" if verb in _PAST else "is")
        return f"What {aux} {_lower_first(figure.group('subject'))}?", figure.group("subject")
    return None


def heading_topic(heading: str) -> str | None:
    """A section heading as a topic to ask about ("4.4. Military defence" -> "military
    defence"), or None for structural ("Chapter 3", "Contents"), broken or sentence-like ones."""
    text = _HEADING_NUMBER.sub("", " ".join(heading.split()))
    words = _WORD.findall(text)
    numbered = text != " ".join(heading.split())
    if not (numbered or looks_like_heading(heading)):
        return None
    if not HEADING_WORDS[0] <= len(words) <= HEADING_WORDS[1]:
        return None
    if len(words) != len(text.split()) or _HEADING_PUNCTUATION.search(text):
        return None  # numbers or punctuation: a label, a table title, a broken line
    if any(w.lower() in _STRUCTURAL for w in words) or not words[0][0].isupper():
        return None  # document furniture, or the tail of a sentence
    if words[-1].lower() in _MINOR_WORDS:
        return None  # a heading cut off at a line break
    if any(zipf_frequency(w.lower(), "en") < MIN_HEADING_ZIPF for w in words):
        return None
    return " ".join(w if w.isupper() and not text.isupper() else w.lower() for w in words)


def _specificity(word: str) -> float:
    """How much a subject word narrows it down: a name ("Navy", "NZDF") fully, a common
    English word ("level", "course") little."""
    if word[0].isupper() or word[0].isdigit():
        return NAME_SPECIFICITY
    return max(0.0, NAME_SPECIFICITY - zipf_frequency(word.lower(), "en"))


def _topicality(subject: str, texts: Sequence[str]) -> float:
    """How central and specific a subject is: each word's count of chunks of the document
    (lower-cased ``texts``) that use it, on a log scale, times its specificity."""
    words = [w for w in _WORD.findall(subject)[1:] if w.lower() not in _MINOR_WORDS]
    if not words:
        return 0.0
    used = [sum(1 for text in texts if w.lower() in text) for w in words]
    score = sum(math.log1p(n) * _specificity(w) for w, n in zip(words, used, strict=True))
    return score / len(words)


def _sentences_from_the(text: str) -> Iterator[str]:
    """The sentences of ``text`` that open with "The" (the only ones turned into questions),
    found without splitting the whole text."""
    for start in _THE_OPENS.finditer(text):
        end = _SENTENCE_END.search(text, start.start())
        yield text[start.start() : end.end() if end else len(text)].strip()


def candidates(chunks: Sequence[Chunk], title: str) -> list[Suggestion]:
    """The questions one document's chunks offer, best first: facts about its most discussed
    subjects, then its largest well-formed sections."""
    facts: dict[str, tuple[str, Suggestion]] = {}
    for chunk in chunks:
        if chunk.kind != PARAGRAPH:
            continue
        for sentence in _sentences_from_the(chunk.text):
            made = fact_question(sentence)
            if made is not None and made[0] not in facts:
                question, subject = made
                facts[question] = (subject, Suggestion(question, chunk.doc_id, title, sentence))
    texts = [chunk.text.lower() for chunk in chunks]
    scored = [(_topicality(subject, texts), s) for subject, s in facts.values()]
    ranked = [s for _, s in sorted(scored, key=lambda item: -item[0])]
    sections = Counter(c.section for c in chunks if c.section)
    # A heading kept at the top of a chunk's text (documents without sections) counts too.
    sections.update(
        line for c in chunks for line in c.text.split("\n")[:1] if looks_like_heading(line)
    )
    named = title_words(chunks[0].doc_id, title)
    for section, _ in sections.most_common():
        topic = heading_topic(section)
        if topic and set(topic.lower().split()) <= named:
            continue  # the document's own name ("White Paper")
        if topic and len(ranked) < 2 * CANDIDATES_PER_SUGGESTION:
            question = f"What does the {title} say about {topic}?"
            ranked.append(Suggestion(question, chunks[0].doc_id, title, section, TOPIC))
    return ranked
