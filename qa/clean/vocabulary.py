"""Which words a corpus really contains: the evidence the ligature and hyphen repairs weigh.

A word counts as *seen* when it occurs whole in the corpus, outside the places where a
dropped ligature or a line-end hyphen may have split it (so fragments such as ``rst`` from
``f rst`` never vouch for themselves). ``wordfreq``'s English frequencies back the corpus up.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from qa.text.frequency import zipf

logger = logging.getLogger(__name__)

# Zipf scale: 3 is about once per million words. Below KNOWN a joined form is too rare to
# prefer over the split text; WORD is the bar for a fragment to pass as a word of its own
# (``inf``/``conf`` sit near 3 as web abbreviations, real words sit well above).
KNOWN_ZIPF = 2.5
WORD_ZIPF = 3.5
_SEEN_BONUS = 2.0

_WORD = re.compile(r"[A-Za-z]+")
_COMPOUND = re.compile(r"\b[A-Za-z]+(?:-[A-Za-z]+)+\b")
# Both sides of every place a repair might join ("xxf yyy", "xxx-\nyyy"), also across blank
# lines and page ends, which the paragraph builder joins later. The right side is captured
# inside a lookahead so that chains ("of f rearms") yield every piece.
_SPLIT_LEFT = re.compile(r"\b[A-Za-z]*f(?=\s+[a-z])|\b[A-Za-z]+(?=-\s+[a-z])")
_SPLIT_RIGHT = re.compile(r"(?:f|[A-Za-z]-)(?=\s+([a-z][A-Za-z]*))")


@dataclass(frozen=True)
class Vocabulary:
    """Words (lower case) and hyphenated compounds seen whole in a corpus."""

    seen: frozenset[str] = frozenset()
    compounds: frozenset[str] = frozenset()

    def is_seen(self, word: str) -> bool:
        return word.lower() in self.seen

    def known(self, word: str) -> bool:
        """Plausible as one word: seen in the corpus or not rare in English."""
        return self.is_seen(word) or zipf(word) >= KNOWN_ZIPF

    def is_word(self, word: str) -> bool:
        """Strong enough to stand alone; single letters other than very common ones never do."""
        if len(word) < 2:
            return zipf(word) >= 5.5
        return self.is_seen(word) or zipf(word) >= WORD_ZIPF

    def score(self, word: str) -> float:
        """Ranks alternative spellings: corpus evidence first, then English frequency."""
        return zipf(word) + (_SEEN_BONUS if self.is_seen(word) else 0.0)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        counts: Counter[str] = Counter()
        compounds: set[str] = set()
        for text in texts:
            # Acronyms ("INF" Treaty) vouch for no lower-case word.
            counts.update(
                w.lower() for w in _WORD.findall(text) if not (w.isupper() and len(w) > 1)
            )
            counts.subtract(w.lower() for w in _SPLIT_LEFT.findall(text))
            counts.subtract(w.lower() for w in _SPLIT_RIGHT.findall(text))
            compounds.update(c.lower() for c in _COMPOUND.findall(text))
        seen = frozenset(w for w, n in counts.items() if n > 0)
        logger.debug("vocabulary: %d words, %d compounds", len(seen), len(compounds))
        return cls(seen=seen, compounds=frozenset(compounds))
