from __future__ import annotations

from qa.clean.vocabulary import Vocabulary


def test_fragments_of_split_words_do_not_count_as_seen() -> None:
    vocabulary = Vocabulary.from_texts(["The f rst report was impor-\ntant. Ships left first."])
    assert vocabulary.is_seen("first")
    assert vocabulary.is_seen("ships")
    assert not vocabulary.is_seen("rst")
    assert not vocabulary.is_seen("tant")
    assert not vocabulary.is_seen("impor")


def test_chained_fragments_are_all_excluded() -> None:
    vocabulary = Vocabulary.from_texts(["stocks of f rearms"])
    assert not vocabulary.is_seen("rearms")
    assert not vocabulary.is_seen("f")


def test_acronyms_do_not_vouch_for_words() -> None:
    assert not Vocabulary.from_texts(["the INF Treaty"]).is_seen("inf")


def test_hyphenated_compounds_are_remembered() -> None:
    vocabulary = Vocabulary.from_texts(["a well-known non-routine task"])
    assert "non-routine" in vocabulary.compounds


def test_english_frequencies_back_the_corpus() -> None:
    vocabulary = Vocabulary()
    assert vocabulary.known("influence")
    assert not vocabulary.known("luence")
    assert vocabulary.is_word("the")
    assert not vocabulary.is_word("f")
