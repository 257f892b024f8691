from __future__ import annotations

from qa.text.acronyms import definitions, expansions, glossary, rare, spelled_out


def test_definitions_match_initials_skipping_small_words_and_possessives() -> None:
    text = (
        "The Ministry of Maritime Affairs (MMA) reviewed the Northern Coastal Patrol Group’s "
        "(N-CPG) plans and the harbour watch posts (WPs) along the Outer Sound (OS, 2031) under "
        "the Joint Pilot-Training Agreements (JPTAs)."
    )
    assert definitions(text) == {
        "MMA": "Ministry of Maritime Affairs",
        "N-CPG": "Northern Coastal Patrol Group",
        "WP": "watch posts",
        "OS": "Outer Sound",
        "JPTA": "Joint Pilot-Training Agreements",
    }


def test_brackets_that_do_not_spell_the_words_before_them_define_nothing() -> None:
    assert (
        definitions("The fleet sailed at dawn (UTC) and returned (Unit: ships) in May (2031).")
        == {}
    )


def test_expansions_list_acronyms_used_but_not_spelled_out_in_order_of_use() -> None:
    known = {"WP": "watch posts", "MMA": "Ministry of Maritime Affairs", "OS": "Outer Sound"}
    text = "Two WPs in the OS were closed; the MMA said so. Outer Sound traffic fell."
    assert expansions(text, known) == ("WP: watch posts", "MMA: Ministry of Maritime Affairs")
    assert expansions("WPS-2 radar and SWP were tested.", known) == ()
    # "OSL" is another code, not the plural of "OS".
    assert expansions("The OSL figures", known) == ()


def test_glossary_keeps_the_first_definition_and_rare_drops_everyday_acronyms() -> None:
    texts = ["The Coast Guard (CG) sails.", "The Cargo Group (CG) waits."]
    assert glossary(texts) == {"CG": "Coast Guard"}
    known = {"CG": "Coast Guard", "WP": "watch posts"}
    passages = ["The CG patrols."] * 19 + ["The WP is manned by the CG."]
    assert rare(known, passages) == {"WP": "watch posts"}
    # A short document has no everyday acronyms.
    assert rare(known, passages[-3:]) == known


def test_spelled_out_reads_a_chunk_glossary_for_one_sentence() -> None:
    chunk_glossary = ("WP: watch posts", "MMA: Ministry of Maritime Affairs")
    assert spelled_out("Four WPs were closed.", chunk_glossary) == "watch posts"
    assert spelled_out("Nothing here.", chunk_glossary) == ""
