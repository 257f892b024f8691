"""Questions made from a document's own text, for the landing page (see ``qa.analyst.overview``).

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

from qa.text import looks_like_heading, word_set
from qa.text.frequency import zipf
from qa.text.words import title_words
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
# A subject named in this share of a document's chunks is one of the document's own.
STANDING_SHARE = 0.05

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
# A heading cannot open with these: it is the second line of a longer one ("OF THE ARMED FORCES").
_JOINING = word_set("and or nor but of than")
# The capitals of a run-in heading, to its colon ("BODIES: The United States will ...").
_RUN_IN_CAPITALS = re.compile(r"(?:[A-Z][A-Z’'\-]* )*[A-Z][A-Z’'\-]*:")
# A subject running into a modal ("The effort will have") was cut in the wrong place.
_MODALS = word_set("will would shall should can could may might must")
# What a phrase in a subject names, when it does not point back ("of reservists", "for 2024",
# not "of the course").
_QUALIFIER = re.compile(r"\b(?:of|for|in|on) (?!(?:the|this|that|these|those|its|their)\b)\w")
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


def _names_itself(subject: str) -> bool:
    """Whether ``subject`` says what it is about on its own: a name, an acronym or a number
    ("The NZDF", "The 2013 defense budget"), or a phrase naming what is measured ("The number
    of reservists"). "The troop level" or "The initiative" do not: their subject is in the
    sentences before."""
    named = any(w[0].isupper() or any(c.isdigit() for c in w) for w in subject.split()[1:])
    return named or bool(_QUALIFIER.search(subject))


def _subject_ok(subject: str) -> bool:
    words = subject.split()[1:]
    return (
        bool(words)
        and words[0].lower() not in _POINTING
        and not subject.endswith("’s")
        and not any(w.lower() in _MODALS for w in words)
    )


def _has_its_subject(subject: str, opens_paragraph: bool, texts: Sequence[str]) -> bool:
    """Whether a question about ``subject`` says what it asks about.

    A subject of common words ("The troop level") is its paragraph's own when it opens the
    paragraph, or the document's when it is a phrase the document keeps coming back to ("The
    coast guard", in ``STANDING_SHARE`` of its lower-cased chunk ``texts``, at least two).
    Otherwise it takes its subject from the sentences before ("... special warfare units ...
    The troop level is ..."), and the question would lack it.
    """
    if opens_paragraph or _names_itself(subject):
        return True
    phrase = subject.split(" ", 1)[1].lower()
    if " " not in phrase:
        return False  # "The group", "The course": the one just mentioned
    using = sum(1 for text in texts if phrase in text)
    return using >= max(2, STANDING_SHARE * len(texts))


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
    subject = figure.group("subject") if figure else ""
    if figure and _subject_ok(subject) and len(subject.split()) > 2:
        verb = figure.group("verb").split()[0]
        aux = _FIGURE_TENSE.get(verb, "was" if verb in _PAST else "is")
        return f"What {aux} {_lower_first(subject)}?", subject
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
    if words[-1].lower() in _MINOR_WORDS or words[0].lower() in _JOINING:
        return None  # a heading cut off at a line break, or the line after such a cut
    if any(w.endswith("-") for w in words):
        return None  # a word hyphenated at a line break ("de- fence")
    if any(zipf(w) < MIN_HEADING_ZIPF for w in words):
        return None
    return " ".join(w if w.isupper() and not text.isupper() else w.lower() for w in words)


def _specificity(word: str) -> float:
    """How much a subject word narrows it down: a name ("Navy", "NZDF") fully, a common
    English word ("level", "course") little."""
    if word[0].isupper() or word[0].isdigit():
        return NAME_SPECIFICITY
    return max(0.0, NAME_SPECIFICITY - zipf(word))


def _topicality(subject: str, texts: Sequence[str]) -> float:
    """How central and specific a subject is: each word's count of chunks of the document
    (lower-cased ``texts``) that use it, on a log scale, times its specificity."""
    words = [w for w in _WORD.findall(subject)[1:] if w.lower() not in _MINOR_WORDS]
    if not words:
        return 0.0
    used = [sum(1 for text in texts if w.lower() in text) for w in words]
    score = sum(math.log1p(n) * _specificity(w) for w, n in zip(words, used, strict=True))
    return score / len(words)


def _sentences_from_the(text: str) -> Iterator[tuple[str, bool]]:
    """The sentences of ``text`` that open with "The" (the only ones turned into questions),
    found without splitting the whole text, each with whether it opens a paragraph (a line)."""
    for start in _THE_OPENS.finditer(text):
        end = _SENTENCE_END.search(text, start.start())
        opens = start.start() == 0 or text[start.start() - 1] == "\n"
        yield text[start.start() : end.end() if end else len(text)].strip(), opens


def _carries_on(heading: str, before: str, after: str) -> bool:
    """Whether ``heading``, a line of the text between the lines ``before`` and ``after``, is
    one line of a longer heading: the line before runs on into it ("... Based on a"), or the
    line after carries it on ("LEVERAGE PRIVATE CAPITAL AND EXPERTISE TO BUILD" / "AND
    INNOVATE: ...", "Building Integrated" / "Security together")."""
    last = before.split()[-1:] if before.split() else []
    if last and (last[0].lower() in _MINOR_WORDS or last[0].endswith("-")):
        return True
    after = " ".join(after.split())
    if not after or _HEADING_NUMBER.match(after):
        return False  # the end of the text, or a numbered heading of its own
    words = after.split()
    # Body text runs on in long lines that end a sentence; a few words that end nothing are
    # the rest of the heading.
    fragment = len(words) <= HEADING_WORDS[1] and after[-1] not in ".!?:;"
    if words[0][0].islower():
        return fragment  # a long line opening in lower case is body text the layout broke
    if heading.isupper() and (
        (words[0].lower() in _JOINING and words[0].isupper())
        or _RUN_IN_CAPITALS.match(after)
        or (after.isupper() and not looks_like_heading(after))
    ):
        return True  # "AND INNOVATE: ...", "BODIES: The ...", or a sentence in capitals
    return fragment and not looks_like_heading(after)


def _whole_headings(chunks: Sequence[Chunk], headings: set[str]) -> set[str]:
    """Those of ``headings`` that, wherever they stand as a line of the chunks' text, are
    whole: not one line of a heading broken over several (a heading only known from the
    chunks' sections counts as whole)."""
    cut: set[str] = set()
    # In reading order across chunks: a chunk may hold the heading alone, its rest opening
    # the next.
    lines = [line for chunk in chunks for line in chunk.text.split("\n")]
    for i, line in enumerate(lines):
        heading = " ".join(line.split())
        if heading not in headings or heading in cut:
            continue
        before = lines[i - 1] if i else ""
        after = lines[i + 1] if i + 1 < len(lines) else ""
        if _carries_on(heading, before, after):
            cut.add(heading)
    return headings - cut


def candidates(chunks: Sequence[Chunk], title: str) -> list[Suggestion]:
    """The questions one document's chunks offer, best first: facts about its most discussed
    subjects, then its largest well-formed sections."""
    facts: dict[str, tuple[str, Suggestion]] = {}
    texts = [chunk.text.lower() for chunk in chunks]
    for chunk in chunks:
        if chunk.kind != PARAGRAPH:
            continue
        for sentence, opens_paragraph in _sentences_from_the(chunk.text):
            made = fact_question(sentence)
            if made is None or made[0] in facts:
                continue
            question, subject = made
            if _has_its_subject(subject, opens_paragraph, texts):
                facts[question] = (subject, Suggestion(question, chunk.doc_id, title, sentence))
    scored = [(_topicality(subject, texts), s) for subject, s in facts.values()]
    ranked = [s for _, s in sorted(scored, key=lambda item: -item[0])]
    sections = Counter(c.section for c in chunks if c.section)
    # A heading kept at the top of a chunk's text (documents without sections) counts too.
    sections.update(
        line for c in chunks for line in c.text.split("\n")[:1] if looks_like_heading(line)
    )
    named = title_words(chunks[0].doc_id, title)
    topics = {section: heading_topic(section) for section in sections}
    whole = _whole_headings(chunks, {" ".join(s.split()) for s, t in topics.items() if t})
    for section, _ in sections.most_common():
        topic = topics[section] if " ".join(section.split()) in whole else None
        if topic and set(topic.lower().split()) <= named:
            continue  # the document's own name ("White Paper")
        if topic and len(ranked) < 2 * CANDIDATES_PER_SUGGESTION:
            question = f"What does the {title} say about {topic}?"
            ranked.append(Suggestion(question, chunks[0].doc_id, title, section, TOPIC))
    return ranked
