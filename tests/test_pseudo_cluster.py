"""Clustering mentions into entities, and propagation over the project."""

from __future__ import annotations

import pytest

from fieldnotes.pseudonymise.cluster import EntityDraft, cluster
from fieldnotes.pseudonymise.detect import Candidate, detect
from fieldnotes.pseudonymise.names import is_first_name, nickname_variants
from fieldnotes.pseudonymise.register import RegisterEntry


def cand(text: str, surface: str, category: str = "PERSON", detector: str = "ner", nth: int = 0) -> Candidate:
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return Candidate(start, start + len(surface), surface, category, detector)


def entity_of(entities: list[EntityDraft], doc: int, surface: str, texts) -> EntityDraft:
    for e in entities:
        for d, s, end, t, *_ in e.mentions:
            if d == doc and t == surface:
                return e
    raise AssertionError(f"no entity has {surface!r} in document {doc}")


def mentioned(entities, doc: int, texts) -> set[str]:
    return {t for e in entities for d, s, end, t, *_ in e.mentions if d == doc}


# --- names -------------------------------------------------------------------------------


def test_first_name_gazetteer():
    for name in ("Jodie", "JODIE", "jodie", "Anita", "Carys", "Priya", "Billy"):
        assert is_first_name(name), name
    for word in ("Interviewer", "the", "Mensah", "Telford", "Door"):
        assert not is_first_name(word), word


def test_nickname_variants():
    assert {"Bill", "Billy", "Will"} <= nickname_variants("William")
    assert "William" in nickname_variants("Billy")
    assert "Patience" in nickname_variants("Pat")
    assert nickname_variants("Xyzzy") == set()


# --- clustering --------------------------------------------------------------------------


def test_possessive_case_and_misspelling_join_one_person():
    texts = [
        "Jodie Mensah came in. Jodie's kids were there. JODIE said hello.",
        "Later Jodi rang, and the Mensa family too. Mensah again.",
    ]
    cands = [
        [cand(texts[0], "Jodie Mensah"), cand(texts[0], "Jodie", nth=1), cand(texts[0], "JODIE", detector="gazetteer")],
        [cand(texts[1], "Jodi"), cand(texts[1], "Mensa"), cand(texts[1], "Mensah")],
    ]
    ents = cluster(cands, texts, propagate=False)
    jodie = entity_of(ents, 0, "Jodie Mensah", texts)
    assert jodie.label == "Jodie Mensah"
    assert {"Jodie Mensah", "Jodie", "JODIE", "Jodi"} <= jodie.surfaces
    # the bare surname in a document without a full name is unambiguous here
    assert "Mensah" in jodie.surfaces and "Mensa" in jodie.surfaces
    assert not any("'" in s for s in jodie.surfaces)


def test_short_names_do_not_fuzzy_merge():
    texts = ["Ben and Bea came. Lee and Leo stayed."]
    cands = [[cand(texts[0], w) for w in ("Ben", "Bea", "Lee", "Leo")]]
    ents = cluster(cands, texts, propagate=False)
    assert len(ents) == 4


def test_nicknames_join_the_formal_name():
    texts = ["I work with William Williams, but everyone calls him Billy. Bill is fine."]
    cands = [[cand(texts[0], "William Williams"), cand(texts[0], "Billy"), cand(texts[0], "Bill")]]
    ents = cluster(cands, texts, propagate=False)
    assert len(ents) == 1
    assert ents[0].label == "William Williams" and {"Billy", "Bill"} <= ents[0].surfaces


def test_first_name_full_name_surname_and_title():
    texts = ["Anita Shah: Hi.\nAnita said Shah was fine. Ms Shah agreed. ANITA left."]
    cands = [
        [
            cand(texts[0], "Anita Shah", detector="speaker"),
            cand(texts[0], "Anita", nth=1),
            cand(texts[0], "Shah", nth=1),
            cand(texts[0], "Shah", detector="rule:title", nth=2),
            cand(texts[0], "ANITA", detector="gazetteer"),
        ]
    ]
    ents = cluster(cands, texts, propagate=False)
    assert len(ents) == 1 and ents[0].label == "Anita Shah"
    assert ents[0].surfaces == {"Anita Shah", "Anita", "Shah", "ANITA"}


def test_surname_forename_is_the_same_person():
    texts = ["Hughes, Carys: Sorry.\nCarys Hughes, team manager."]
    cands = [[cand(texts[0], "Hughes, Carys", detector="speaker"), cand(texts[0], "Carys Hughes")]]
    ents = cluster(cands, texts, propagate=False)
    assert len(ents) == 1 and ents[0].label == "Carys Hughes"


def test_shared_surname_keeps_two_people_apart():
    texts = [
        "Sandra Hughes presented it. Then Hughes left.",
        "Carys Hughes, no relation. Hughes again.",
        "Somebody called Hughes phoned.",
    ]
    cands = [
        [cand(texts[0], "Sandra Hughes"), cand(texts[0], "Hughes", nth=1)],
        [cand(texts[1], "Carys Hughes"), cand(texts[1], "Hughes", nth=1)],
        [cand(texts[2], "Hughes")],
    ]
    ents = cluster(cands, texts, propagate=False)
    sandra = entity_of(ents, 0, "Sandra Hughes", texts)
    carys = entity_of(ents, 1, "Carys Hughes", texts)
    assert sandra is not carys
    # a bare "Hughes" joins the Hughes whose full name is in the same document ...
    assert entity_of(ents, 0, "Hughes", texts) is sandra
    assert entity_of(ents, 1, "Hughes", texts) is carys
    # ... and stays an entity of its own where neither is
    alone = entity_of(ents, 2, "Hughes", texts)
    assert alone is not sandra and alone is not carys and alone.label == "Hughes"


def test_two_people_sharing_a_first_name_stay_separable():
    texts = ["Grace Bennett, the health visitor, rang. Grace said hi.", "Grace Williams is nine. Grace likes football."]
    cands = [
        [cand(texts[0], "Grace Bennett"), cand(texts[0], "Grace", nth=1)],
        [cand(texts[1], "Grace Williams"), cand(texts[1], "Grace", nth=1)],
    ]
    ents = cluster(cands, texts, propagate=False)
    assert entity_of(ents, 0, "Grace", texts) is entity_of(ents, 0, "Grace Bennett", texts)
    assert entity_of(ents, 1, "Grace", texts) is entity_of(ents, 1, "Grace Williams", texts)
    assert entity_of(ents, 0, "Grace", texts) is not entity_of(ents, 1, "Grace", texts)
    # every mention keeps its document and offsets, so a split can move it
    for e in ents:
        for d, s, end, t, detector, score in e.mentions:
            assert texts[d][s:end] == t


def test_first_name_tagged_as_place_becomes_person_when_known_in_full():
    texts = ["Kayden Mensah is seven. Kayden loves dinosaurs."]
    cands = [[cand(texts[0], "Kayden Mensah"), cand(texts[0], "Kayden", category="PLACE", nth=1)]]
    ents = cluster(cands, texts, propagate=False)
    assert len(ents) == 1 and ents[0].category == "PERSON"


def test_structured_identifiers_cluster_by_value():
    texts = ["Ring 07700 900418 or 07700900418. Postcode TF2 6DX, TF26DX."]
    cands = [detect(texts)[0]]
    ents = cluster(cands, texts)
    phones = [e for e in ents if e.category == "PHONE"]
    postcodes = [e for e in ents if e.category == "POSTCODE"]
    assert len(phones) == 1 and len(phones[0].mentions) == 2
    assert len(postcodes) == 1 and len(postcodes[0].mentions) == 2


def test_short_names_of_establishments_join_the_full_name():
    texts = ["Kayden is at St Mary's Primary School. St Mary's rang. Little Acorns Nursery said Little Acorns is shut."]
    ents = cluster(detect(texts), texts)
    school = entity_of(ents, 0, "St Mary's Primary School", texts)
    assert "St Mary's" in {m[3] for m in school.mentions}
    nursery = entity_of(ents, 0, "Little Acorns Nursery", texts)
    assert "Little Acorns" in {m[3] for m in nursery.mentions}


# --- propagation --------------------------------------------------------------------------


def test_propagation_finds_lower_case_mentions_the_model_missed():
    texts = [
        "Jodie Mensah lives in Telford.",
        "She sent jodie's new number. I'd wrote jodie mensah all in small letters. Telford again.",
    ]
    cands = [[cand(texts[0], "Jodie Mensah"), cand(texts[0], "Telford", category="PLACE")], []]
    ents = cluster(cands, texts)
    jodie = entity_of(ents, 0, "Jodie Mensah", texts)
    found = [(m[3], m[4]) for m in jodie.mentions if m[0] == 1]
    assert ("jodie", "propagated") in found and ("jodie mensah", "propagated") in found
    place = entity_of(ents, 0, "Telford", texts)
    assert any(m[0] == 1 and m[4] == "propagated" for m in place.mentions)


def test_propagation_respects_ordinary_words():
    texts = [
        "Will Harper is the DSL. Grace Bennett came. Mark Ellison chaired. Margaret Price fosters.",
        "Will you tell them? It's a saving grace. Mark my words. The price of it. Will said yes. "
        "Mark, sitting opposite, nods. Grace, you're a saving grace.",
    ]
    cands = [[cand(texts[0], n) for n in ("Will Harper", "Grace Bennett", "Mark Ellison", "Margaret Price")], []]
    ents = cluster(cands, texts)
    doc1 = sorted((m[1], m[3]) for e in ents for m in e.mentions if m[0] == 1)
    assert [t for _, t in doc1] == ["Will", "Mark", "Grace"]


def test_propagation_does_not_reach_into_emails_or_words():
    texts = ["Anita Shah rang.", "Write to anita.shah@northmoor.gov.uk or Anitas; Anita-Marie is someone else. Anita."]
    cands = [[cand(texts[0], "Anita Shah")], detect([texts[1]])[0]]
    ents = cluster(cands, texts)
    anita = entity_of(ents, 0, "Anita Shah", texts)
    doc1 = [m[3] for m in anita.mentions if m[0] == 1]
    assert doc1 == ["Anita"]


def test_allowlist_is_never_a_mention():
    texts = ["Ofsted came to Northmoor. We use Signs of Safety in Shropshire; Early Help too. Kerry Lowe met them."]
    cands = [
        [
            cand(texts[0], "Ofsted", category="ORG"),
            cand(texts[0], "Northmoor", category="PLACE"),
            cand(texts[0], "Signs of Safety", category="ORG"),
            cand(texts[0], "Shropshire", category="PLACE"),
            cand(texts[0], "Early Help", category="ORG"),
            cand(texts[0], "Kerry Lowe"),
        ]
    ]
    allow = ["ofsted", "Northmoor", "SIGNS OF SAFETY", "Shropshire", "Early Help"]
    ents = cluster(cands, texts, allowlist=allow)
    assert mentioned(ents, 0, texts) == {"Kerry Lowe"}


def test_allowlisted_phrase_blocks_propagation_inside_it():
    texts = ["Stacey Hub is a person.", "We met at Stacey Hub House, the office."]
    cands = [[cand(texts[0], "Stacey Hub")], []]
    ents = cluster(cands, texts, allowlist=["Stacey Hub House"])
    assert mentioned(ents, 1, texts) == set()


def test_register_entries_cluster_their_variants():
    register = [
        RegisterEntry("Jodie Mensah", ("Jodi", "jodie", "Mum J"), "PERSON", "Sophie"),
        RegisterEntry("Tyson", (), "PERSON", "Rex"),
    ]
    texts = ["Jodie Mensah and Tyson.", "Jodi was out; Mum J said jodie would ring. TYSON barked."]
    cands = detect(texts, register=register)
    ents = cluster(cands, texts, register=register)
    jodie = next(e for e in ents if e.label == "Jodie Mensah")
    assert jodie.pseudonym == "Sophie"
    assert {m[3] for m in jodie.mentions} >= {"Jodie Mensah", "Jodi", "Mum J", "jodie"}
    tyson = next(e for e in ents if e.label == "Tyson")
    assert tyson.pseudonym == "Rex" and len(tyson.mentions) == 2


def test_model_words_the_project_uses_in_lower_case_are_dropped():
    texts = ["Anita Shah: Space. It's in the name.", "We need space and time. Time. Ludlow is far; I drove to Ludlow."]
    cands = [
        [cand(texts[0], "Anita Shah", detector="speaker"), cand(texts[0], "Space")],
        [cand(texts[1], "Time"), cand(texts[1], "Ludlow", category="PLACE")],
    ]
    ents = cluster(cands, texts)
    assert {e.label for e in ents} == {"Anita Shah", "Ludlow"}


def test_mentions_never_overlap_after_propagation():
    texts = ["Jodie Mensah and Jodie and Mensah at 14 Mill Lane, Hadley.", "jodie mensah, Jodie, Hadley"]
    cands = detect(texts)
    cands[0].append(Candidate(texts[0].index("Hadley"), texts[0].index("Hadley") + 6, "Hadley", "PLACE", "ner"))
    ents = cluster(cands, texts)
    for doc in (0, 1):
        spans = sorted((m[1], m[2]) for e in ents for m in e.mentions if m[0] == doc)
        assert all(b <= c for (_, b), (c, _) in zip(spans, spans[1:])), spans


@pytest.mark.parametrize("propagate", [True, False])
def test_sample_project_end_to_end(sample_project, propagate):
    names = [d.name for d in sample_project.documents()]
    docs = [sample_project.document(n) for n in names]
    texts = [d.text for d in docs]
    cands = detect(texts, [d.turns for d in docs])
    ents = cluster(cands, texts, allowlist=["Northmoor", "Shropshire"], propagate=propagate)
    labels = {e.label for e in ents if e.category == "PERSON"}
    assert {"Anita Shah", "Jodie Mensah", "William Williams", "Carys Hughes", "Sandra Hughes"} <= labels
    jodie = next(e for e in ents if e.label == "Jodie Mensah")
    assert {"Jodi", "Jodie"} <= jodie.surfaces
    if propagate:
        assert "jodie" in {m[3] for m in jodie.mentions}
    billy = next(e for e in ents if e.label == "William Williams")
    assert "Billy" in billy.surfaces
