"""Build the pseudonymisation gold set for the demo study (sample_data/).

Run from the repository root:

    python benchmarks/gold/build_gold.py            # writes sample_gold.jsonl
    python benchmarks/gold/build_gold.py --audit    # also prints review aids

The coordinate space is the text fieldnotes STORES for each document (for
.docx, .vtt and .srt this differs from the file bytes), so the script imports
sample_data/ into a throw-away project and annotates those stored texts.

How the annotations are written down
------------------------------------
Every document has a hand-written list of annotation rules, made by reading
the whole document. Three kinds of rule:

  M(surface, category, entity, n)
      Every whole-word, case-sensitive occurrence of `surface` that is not
      already covered by another rule is a mention; there must be exactly `n`
      of them (the script fails otherwise, so a changed text or a miscount is
      caught rather than silently producing a different gold set).

  C(context, surface, category, entity, n=1)
      Disambiguation: `context` occurs exactly `n` times and, inside each
      occurrence, the first `surface` is the mention. Used when the same
      string needs different categories in one document (e.g. "Hadley" the
      neighbourhood vs "Hadley" meaning Hadley Hub), or to cut a title off
      ("Number 14 Mill Lane" -> "14 Mill Lane").

  X(context, n=1)
      A stretch of text that contains a name-like string which is NOT a
      mention ("Mark my words", "Will you ..."). It is claimed first so that
      the M rules neither annotate it nor count it.

Rules are applied X first, then C, then M from the longest surface to the
shortest, and no two annotations may overlap. So "Anita Shah" is one span and
the bare rule M("Anita", ...) only counts the Anitas left over.

Whole-word means the characters either side are not letters or digits; a
possessive 's is therefore outside the span ("Jodie" in "Jodie's").
Matching is case-sensitive, which is what separates "Grace" (a person) from
"saving grace", and "Mark" from "mark my words".
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SAMPLE = REPO / "sample_data"
OUT = HERE / "sample_gold.jsonl"

PERSON, PLACE, ORG, ADDRESS, POSTCODE = "PERSON", "PLACE", "ORG", "ADDRESS", "POSTCODE"
PHONE, EMAIL, NHS, NI, REF, DATE = "PHONE", "EMAIL", "NHS_NUMBER", "NI_NUMBER", "REFERENCE", "DATE"
CATEGORIES = (PERSON, PLACE, ORG, ADDRESS, POSTCODE, PHONE, EMAIL, NHS, NI, REF, DATE)


@dataclass(frozen=True)
class Rule:
    kind: str  # "M", "C" or "X"
    surface: str
    category: str | None
    entity: str | None
    n: int
    context: str | None = None


def M(surface, category, entity, n):
    return Rule("M", surface, category, entity, n)


def C(context, surface, category, entity, n=1):
    assert surface in context, (context, surface)
    return Rule("C", surface, category, entity, n, context)


def X(context, n=1):
    return Rule("X", context, None, None, n, context)


# --------------------------------------------------------------------------
# Canonical entities (cast list in sample_data/README.md)
# --------------------------------------------------------------------------
ANITA = "Anita Shah"
BEN = "Ben Okafor"
CLAIRE = "Claire Donovan"
MARK = "Mark Ellison"
SANDRA = "Sandra Hughes"
CARYS = "Carys Hughes"
TOM = "Tom Whitfield"
DEV = "Dev Malhotra"
JO = "Jo Kelly"
PRIYA = "Priya"
LORRAINE = "Lorraine"
HANNAH = "Hannah"
JOSH = "Josh"
JODIE = "Jodie Mensah"
PAT = "Patience Mensah"
LEE = "Lee Turner"
KAYDEN = "Kayden Mensah"
RUBY = "Ruby Turner"
TYSON = "Tyson"  # the Mensahs' dog
MENSAHS = "Mensah family"  # the surname used for the household ("the Mensah family")
STACEY = "Stacey Williams"
BILLY = "William Williams"
GRACE_W = "Grace Williams"
HALE = "Sarah Hale"
HARPER = "Will Harper"
GRACE_B = "Grace Bennett"
QURESHI = "Imran Qureshi"
MARGARET = "Margaret Price"
FIONA = "Fiona Reid"
EVANS = "R. Evans"  # the researcher
# People who are not in the cast list but are named in the duty-day notes
DAN = "Dan"  # agency social worker, no surname given
KERRY = "Kerry Lowe"
TYLER = "Tyler"  # Kerry's son, surname not given
MAISIE = "Maisie"  # Kerry's baby, surname not given

# Organisations
ST_MARYS = "St Mary's Primary School"
ACORNS = "Little Acorns Nursery"
CASTLE_ST = "Castle Street Surgery"
WFH = "Wellington Family Hub"
OAKFIELD = "Oakfield Academy"
HADLEY_HUB = "Hadley Hub"
ABBEY = "Abbey Foregate office"
REDHILL = "Redhill Infants"

# Identifiers
MILL_LANE_14 = "14 Mill Lane"
KAYDEN_NHS = "943 476 5919"
JODIE_PHONE = "07700 900418"
STACEY_PHONE = "01743 555 0192"
CASE_REF = "NMC-2025-04417"
ANITA_EMAIL = "anita.shah@northmoor.gov.uk"
KAYDEN_DOB = "2018-03-12"


def P(name, n):
    """A place whose canonical entity is its own name."""
    return M(name, PLACE, name, n)


# --------------------------------------------------------------------------
# Per-document annotations
#
# General decisions (see README.md for the full list):
# * Titles are excluded: "DC Sarah Hale" -> "Sarah Hale", "Dr Qureshi" ->
#   "Qureshi", "Mrs Patience Mensah" -> "Patience Mensah", "Mr Harper".
#   "Nana Pat" is a nickname and is annotated whole.
# * Speaker labels that are names are mentions ("BEN:", "Hughes, Carys:",
#   "DC Hale:" -> "Hale"); generic labels (Interviewer, SW, Mum, Speaker 1,
#   Researcher) are not.
# * Team names built from a place ("the Telford CP team", "Telford
#   Safeguarding and Assessment", "Telford North District", "Shrewsbury LAC
#   team", "the Wellington and Oakengates hubs") are annotated on the place
#   token only, as PLACE.
# * Named establishments are ORG, including their short forms ("St Mary's",
#   "Little Acorns", "Oakfield", "Castle Street" for the surgery), and a bare
#   place name used for the office ("at Abbey Foregate", "Back at Hadley").
# * Northmoor and Shropshire are allowlisted (never annotated); so are
#   programme names (Stronger Practice, Thinking Space, Signs of Safety,
#   Early Help, Operation Encompass) and national bodies (Ofsted, NHS, MASH,
#   CAMHS).
# * Not annotated as identifying: shops and brands (Tesco, Co-op, Haribo,
#   CBeebies), football clubs (Wolves, Arsenal), the A49 trunk road, the dog
#   breed "Staffordshire bull terrier", "the Family Hub" without a place.
# --------------------------------------------------------------------------
DOCS: dict[str, list[Rule]] = {}

DOCS["p1_int_sw01.txt"] = [
    # "So I'm Anita, Anita Shah" ... "Thank you, Anita."
    M("Anita Shah", PERSON, ANITA, 1),
    M("Anita", PERSON, ANITA, 2),
    P("Telford", 1),
    M("Hadley Hub", ORG, HADLEY_HUB, 2),
    # "the third one was, er, last Thursday, the twelfth": a day of the month.
    M("the twelfth", DATE, "2025-06-12", 1),
    P("Walsall", 1),  # where the trainer once had a family
    M("Jodie Mensah", PERSON, JODIE, 1),
    M("Jodie", PERSON, JODIE, 3),  # incl. "Jodie's quite", "families like Jodie's"
    M("Jodi", PERSON, JODIE, 1),  # misspelling: "she doesn't know Jodi or Lee"
    M("Kayden", PERSON, KAYDEN, 2),
    M("Ruby", PERSON, RUBY, 1),
    M("Lee", PERSON, LEE, 3),
    M("Tyson", PERSON, TYSON, 1),
    P("Walker Street", 1),  # "the old office on Walker Street" (street alone)
    P("Donnington", 1),
    M("Mark Ellison", PERSON, MARK, 1),
    M("Mark", PERSON, MARK, 3),  # "SW: Mark.", "Mark's fine", "that's Mark"
    M("the fourth of June", DATE, "2025-06-04", 1),
    M("Mensah", PERSON, MENSAHS, 1),  # "the Mensah children"
    M("Fiona", PERSON, FIONA, 1),  # "Fiona from Early Help"
]

DOCS["p1_int_sw02.docx"] = [
    # docx header table: "Date 17 June 2025 / Interviewer R. Evans / Site Shrewsbury"
    M("17 June 2025", DATE, "2025-06-17", 1),
    M("R. Evans", PERSON, EVANS, 1),
    P("Shrewsbury", 3),
    M("BEN", PERSON, BEN, 13),  # speaker labels "BEN:"
    M("Ben Okafor", PERSON, BEN, 1),
    M("Ben", PERSON, BEN, 3),
    # The office: "at Abbey Foregate", "From Abbey Foregate to Ludlow",
    # "Abbey Foregate's hot-desking now".
    M("Abbey Foregate", ORG, ABBEY, 3),
    P("Stoke", 1),
    P("Herefordshire", 1),  # a county other than the allowlisted Shropshire
    M("Margaret Price", PERSON, MARGARET, 1),
    M("Margaret", PERSON, MARGARET, 7),
    P("Ludlow", 5),
    M("William Williams", PERSON, BILLY, 1),
    M("William", PERSON, BILLY, 1),  # "he won't answer to William"
    M("Billy", PERSON, BILLY, 9),
    M("Oakfield Academy", ORG, OAKFIELD, 1),
    M("Stacey", PERSON, STACEY, 1),
    P("Coton Crescent", 1),  # "she's in Coton Crescent" (street alone)
    # Billy's sister; "Margaret is the saving grace of that case" is lower
    # case and not a mention.
    M("Grace", PERSON, GRACE_W, 2),
    M("Carys Hughes", PERSON, CARYS, 1),
    M("Carys", PERSON, CARYS, 1),
]

DOCS["p1_int_mgr01.txt"] = [
    M("Mark Ellison", PERSON, MARK, 14),  # speaker labels
    M("Mark", PERSON, MARK, 1),  # "Thanks for seeing me, Mark"
    P("Telford", 1),
    P("Shrewsbury", 1),
    M("Sandra Hughes", PERSON, SANDRA, 1),
    M("Sandra", PERSON, SANDRA, 4),
    M("Jo Kelly", PERSON, JO, 1),
    M("Jo", PERSON, JO, 3),
    M("Anita", PERSON, ANITA, 2),
    P("Wolverhampton", 1),
    M("the twenty-second of April", DATE, "2025-04-22", 1),
]

DOCS["p1_obs_homevisit01.md"] = [
    M("Anita Shah", PERSON, ANITA, 1),
    M("Anita", PERSON, ANITA, 40),
    M("Wednesday 18 June 2025", DATE, "2025-06-18", 1),
    M("R. Evans", PERSON, EVANS, 1),
    M("Jodie Mensah", PERSON, JODIE, 1),
    M("Jodie", PERSON, JODIE, 22),
    # "with jodie's new mobile number (typed lower case in a hurry ...)"
    M("jodie", PERSON, JODIE, 1),
    M("Mensah", PERSON, MENSAHS, 1),  # heading "Mensah family"
    M("Hadley Hub", ORG, HADLEY_HUB, 2),
    M("Tyson", PERSON, TYSON, 7),
    # "Drove to Mill Lane" is the street alone; "Number 14 Mill Lane" is the
    # address with the word "Number" left out.
    C("Number 14 Mill Lane", "14 Mill Lane", ADDRESS, MILL_LANE_14),
    P("Mill Lane", 1),
    M("Kayden", PERSON, KAYDEN, 12),
    M("St Mary's Primary School", ORG, ST_MARYS, 2),
    M("St Mary's", ORG, ST_MARYS, 1),  # "the school office at St Mary's"
    P("Wellington", 2),
    M("Ruby", PERSON, RUBY, 9),
    M("Little Acorns Nursery", ORG, ACORNS, 1),
    M("Lee Turner", PERSON, LEE, 2),
    M("Lee", PERSON, LEE, 9),
    # "her mum's (Nana Pat, Mrs Patience Mensah, in Wellington)"
    M("Nana Pat", PERSON, PAT, 1),
    M("Patience Mensah", PERSON, PAT, 1),
    P("Ironbridge", 1),
    M("Fiona Reid", PERSON, FIONA, 1),
    M("Fiona", PERSON, FIONA, 2),
    M("07700 900418", PHONE, JODIE_PHONE, 1),
    M("1 July", DATE, "2025-07-01", 1),  # "the core group on 1 July"
    M("Will Harper", PERSON, HARPER, 1),
    M("Wellington Family Hub", ORG, WFH, 1),
    P("Donnington", 1),
    # Not annotated: "Staffordshire bull terrier" (a breed), Co-op, CBeebies.
]

DOCS["p1_int_eh01.txt"] = [
    M("Will Harper", PERSON, HARPER, 1),
    M("St Mary's Primary", ORG, ST_MARYS, 1),
    P("Wellington", 1),
    M("Anita Shah", PERSON, ANITA, 1),
    M("Anita", PERSON, ANITA, 3),
    M("Mensa", PERSON, MENSAHS, 1),  # misspelt: "the Mensa family"
    M("Mensah", PERSON, MENSAHS, 1),  # "the Mensah case"
    M("Kayden", PERSON, KAYDEN, 3),
    # "there's a DC, Sarah Hale, in the Telford safeguarding team"
    M("Sarah Hale", PERSON, HALE, 1),
    P("Telford", 1),
    P("Birmingham", 1),
    M("Wellington Family Hub", ORG, WFH, 1),
    M("Fiona Reid", PERSON, FIONA, 1),
    M("Fiona", PERSON, FIONA, 3),
    M("Grace Bennett", PERSON, GRACE_B, 1),
    M("Jodie", PERSON, JODIE, 1),
    M("Jodi", PERSON, JODIE, 1),  # "Jodi's, um, she can be quite defensive"
]

DOCS["p2_int_sw01.txt"] = [
    M("ANITA", PERSON, ANITA, 16),  # speaker labels
    M("Anita", PERSON, ANITA, 2),  # "are you Anita?", "Thank you, Anita."
    # "the Telford CP team" and the merged team "Telford Safeguarding and
    # Assessment": the place token only.
    P("Telford", 2),
    P("Oakengates", 2),
    M("Mark Ellison", PERSON, MARK, 1),
    M("Mark", PERSON, MARK, 1),
    M("Lorraine", PERSON, LORRAINE, 1),
    M("Priya", PERSON, PRIYA, 1),
    P("Staffordshire", 1),  # "one went to Staffordshire"
    M("Mensah", PERSON, MENSAHS, 1),  # "the Mensah family"
    M("Kayden Mensah", PERSON, KAYDEN, 1),
    M("Jodie", PERSON, JODIE, 6),
    M("Kayden", PERSON, KAYDEN, 3),
    M("Ruby", PERSON, RUBY, 1),
    M("Lee", PERSON, LEE, 1),
    # "the GP, Dr Qureshi, Imran Qureshi at Castle Street Surgery"
    M("Imran Qureshi", PERSON, QURESHI, 1),
    M("Qureshi", PERSON, QURESHI, 2),
    M("Castle Street Surgery", ORG, CASTLE_ST, 1),
    # The NHS number read out digit by digit.
    M("nine four three, four seven six, five nine one nine", NHS, KAYDEN_NHS, 1),
    M("twelfth of March twenty eighteen", DATE, KAYDEN_DOB, 1),
    M("14 Mill Lane", ADDRESS, MILL_LANE_14, 1),
    P("Hadley", 1),  # "14 Mill Lane, Hadley."
    M("Hadley Hub", ORG, HADLEY_HUB, 1),
    M("NMC-2025-04417", REF, CASE_REF, 1),
    M("anita.shah@northmoor.gov.uk", EMAIL, ANITA_EMAIL, 1),
    M("Nana Pat", PERSON, PAT, 2),
    M("Patience", PERSON, PAT, 1),
    P("Birmingham", 1),
    P("Wolverhampton", 1),
    M("Wellington Family Hub", ORG, WFH, 1),
    M("Fiona Reid", PERSON, FIONA, 1),
    # "Jodie's case is, that's the saving grace of this year" (lower case).
]

DOCS["p2_int_sw03.txt"] = [
    M("Claire Donovan", PERSON, CLAIRE, 1),
    M("Claire", PERSON, CLAIRE, 17),  # 16 speaker labels + "doing this, Claire"
    P("Shrewsbury", 1),
    P("Telford", 2),
    M("Ben", PERSON, BEN, 2),
    M("Margaret Price", PERSON, MARGARET, 1),
    M("Margaret", PERSON, MARGARET, 5),
    P("Ludlow", 1),
    M("Billy", PERSON, BILLY, 5),
    M("William", PERSON, BILLY, 1),
    M("Stacey", PERSON, STACEY, 1),
    P("Stoke", 1),
    P("Hereford", 1),
    M("Tom Whitfield", PERSON, TOM, 1),
    M("Tom", PERSON, TOM, 3),
]

DOCS["p2_fg_managers.vtt"] = [
    # The Teams voice name "Hughes, Carys" becomes the label "Hughes, Carys:".
    M("Hughes, Carys", PERSON, CARYS, 11),
    M("Carys Hughes", PERSON, CARYS, 1),
    M("Carys", PERSON, CARYS, 1),  # "Sorry, go on Carys."
    M("Mark Ellison", PERSON, MARK, 13),
    M("Tom Whitfield", PERSON, TOM, 9),
    M("Tom", PERSON, TOM, 1),  # "Tom, was fostering affected?"
    M("Dev Malhotra", PERSON, DEV, 8),
    # "team manager, Telford, well, what used to be Telford CP. Now it's the
    # assessment side of Telford Safeguarding and Assessment"
    P("Telford", 3),
    P("Shrewsbury", 1),
    M("Sandra", PERSON, SANDRA, 2),
    # "I cover the Wellington and Oakengates hubs"; "the Oakengates
    # assessment team"; "the Oakengates workers"
    P("Wellington", 1),
    P("Oakengates", 3),
    M("Anita", PERSON, ANITA, 2),
    M("Fiona", PERSON, FIONA, 2),
    M("Claire", PERSON, CLAIRE, 3),
    M("Jo Kelly", PERSON, JO, 1),
    M("Jo", PERSON, JO, 3),
    M("Ben", PERSON, BEN, 1),
    M("Mensah", PERSON, MENSAHS, 1),
]

DOCS["p2_obs_duty01.txt"] = [
    # Heading: "Telford Safeguarding and Assessment team (formerly Telford
    # CP), Hadley Hub"; and "DC Sarah Hale, Telford safeguarding".
    P("Telford", 3),
    M("Hadley Hub", ORG, HADLEY_HUB, 2),
    M("Thursday 5 March 2026", DATE, "2026-03-05", 1),
    M("Anita Shah", PERSON, ANITA, 1),
    M("Anita", PERSON, ANITA, 35),
    # Whiteboard: 'Dan (agency)', '"Priya", crossed out, with "Mark E"',
    # 'Thinking Space Tues 10th 2pm' (a specific day: Tuesday 10 March 2026).
    M("Dan", PERSON, DAN, 4),
    M("Priya", PERSON, PRIYA, 3),
    M("Mark E", PERSON, MARK, 1),
    M("Tues 10th", DATE, "2026-03-10", 1),
    # "she is number 14 in the queue" is not an address (no rule matches it).
    P("Wolverhampton", 1),
    M("Sarah Hale", PERSON, HALE, 1),
    M("Hale", PERSON, HALE, 4),  # "DC Hale" x4, title excluded
    M("22 Station Road", ADDRESS, "22 Station Road", 2),
    P("Oakengates", 2),
    M("TF2 6DX", POSTCODE, "TF2 6DX", 1),
    M("Kerry Lowe", PERSON, KERRY, 2),
    M("Kerry", PERSON, KERRY, 11),
    M("Tyler", PERSON, TYLER, 6),
    M("Maisie", PERSON, MAISIE, 3),
    M("Grace Bennett", PERSON, GRACE_B, 3),
    # "Honestly, Grace, you're a saving grace": only the capitalised one.
    M("Grace", PERSON, GRACE_B, 3),
    M("Mark Ellison", PERSON, MARK, 1),
    # "Thirty-one. Mark my words, I'll be typing ..." is an idiom.
    X("Mark my words"),
    M("Mark", PERSON, MARK, 8),
    M("Mensah", PERSON, MENSAHS, 1),  # "the Mensah child in need review"
    M("Jodie Mensah", PERSON, JODIE, 1),
    M("Jodie", PERSON, JODIE, 1),
    P("Donnington", 1),
    P("Madeley", 1),
    M("Redhill Infants", ORG, REDHILL, 1),
    # "13:46 Back at Hadley. No desk at all." = the office.
    C("Back at Hadley", "Hadley", ORG, HADLEY_HUB),
    M("NMC-2026-01182", REF, "NMC-2026-01182", 1),
    # "Will you put in your report that we do love the job?" (verb)
    X("Will you put"),
]

DOCS["p2_int_family01.txt"] = [
    # Speaker label is "Mum:" (generic); the interviewer misspells her name.
    M("Jodi", PERSON, JODIE, 1),
    M("Tyson", PERSON, TYSON, 7),
    M("Anita", PERSON, ANITA, 15),
    M("Ruby", PERSON, RUBY, 6),
    M("St Mary's", ORG, ST_MARYS, 2),
    M("Kayden", PERSON, KAYDEN, 6),
    M("Lee", PERSON, LEE, 7),
    M("Nana Pat", PERSON, PAT, 3),
    M("07700 900418", PHONE, JODIE_PHONE, 1),
    M("Jodie", PERSON, JODIE, 3),
    P("Birmingham", 2),
    P("Wolverhampton", 1),
    # "at the Family Hub in Wellington", "round the corner in Wellington",
    # "the soft play in Wellington"; "the Family Hub" alone is generic.
    P("Wellington", 3),
    M("Fiona", PERSON, FIONA, 1),
    M("Little Acorns", ORG, ACORNS, 2),
    M("Patience Mensah", PERSON, PAT, 1),  # "Mrs Patience Mensah"
    M("Patience", PERSON, PAT, 1),  # "My mum's called Patience"
    M("QQ 12 34 56 C", NI, "QQ 12 34 56 C", 1),
    # "I'd wrote jodie mensah all in small letters"
    M("jodie mensah", PERSON, JODIE, 1),
    M("Grace", PERSON, GRACE_B, 1),  # "Grace, the health visitor"
    M("Harper", PERSON, HARPER, 1),  # "Mr Harper from school, Will,"
    M("Will", PERSON, HARPER, 1),
    M("Mark", PERSON, MARK, 1),
    # "He's eight next week, twelfth of March" (Kayden's birthday)
    M("twelfth of March", DATE, KAYDEN_DOB, 1),
    M("Qureshi", PERSON, QURESHI, 1),
    # "Dr Qureshi at Castle Street's got me on some tablets" = the surgery.
    M("Castle Street", ORG, CASTLE_ST, 1),
]

DOCS["p3_int_sw01.txt"] = [
    M("Anita Shah", PERSON, ANITA, 18),  # speaker labels
    M("Anita", PERSON, ANITA, 1),  # "Thank you, Anita."
    # "Telford Safeguarding and Assessment", "Telford North District"
    P("Telford", 2),
    # "the Wellington team", "the Family Hub in Wellington"
    P("Wellington", 2),
    P("Newport", 2),
    # "I've still got Hadley and Oakengates" = the patch; "not at Hadley" =
    # the office (Thinking Space moved out of Hadley Hub).
    C("still got Hadley", "Hadley", PLACE, "Hadley"),
    C("not at Hadley", "Hadley", ORG, HADLEY_HUB),
    P("Oakengates", 1),
    M("Mensah", PERSON, MENSAHS, 1),
    M("Fiona Reid", PERSON, FIONA, 1),
    M("Fiona", PERSON, FIONA, 5),
    M("Wellington Family Hub", ORG, WFH, 1),
    M("Jodie", PERSON, JODIE, 3),
    M("Nana Pat", PERSON, PAT, 1),  # "at Nana Pat's"
    M("Lee", PERSON, LEE, 1),
    P("Birmingham", 1),
    M("Kayden", PERSON, KAYDEN, 2),
    M("NMC-2025-04417", REF, CASE_REF, 1),
    M("943 476 5919", NHS, KAYDEN_NHS, 1),
    M("anita.shah@northmoor.gov.uk", EMAIL, ANITA_EMAIL, 1),
    M("Mark Ellison", PERSON, MARK, 1),
    M("Mark", PERSON, MARK, 1),
    M("Priya", PERSON, PRIYA, 1),
    M("Sandra Hughes", PERSON, SANDRA, 1),
    M("Sandra", PERSON, SANDRA, 2),
    P("Stoke", 1),
    M("Hale", PERSON, HALE, 1),  # "I know DC Hale now"
    M("Grace Bennett", PERSON, GRACE_B, 1),
    M("Will Harper", PERSON, HARPER, 1),
    M("St Mary's", ORG, ST_MARYS, 1),
    # "will this one last?" is lower case; "Signs of Safety" is allowlisted.
]

DOCS["p3_int_sw02.txt"] = [
    M("Ben", PERSON, BEN, 2),  # speaker label is "SW:"
    M("Carys", PERSON, CARYS, 4),
    # "a lad, Billy, well William, William Williams, but nobody calls him
    # William except the school"
    M("William Williams", PERSON, BILLY, 1),
    M("William", PERSON, BILLY, 2),
    M("Billy", PERSON, BILLY, 6),
    P("Ludlow", 3),
    M("Margaret Price", PERSON, MARGARET, 1),
    M("Margaret", PERSON, MARGARET, 1),
    M("Oakfield Academy", ORG, OAKFIELD, 1),
    M("Oakfield", ORG, OAKFIELD, 1),  # "Oakfield have been good"
    P("Shrewsbury", 3),
    M("Grace", PERSON, GRACE_W, 2),
    M("Stacey", PERSON, STACEY, 3),
    M("Hannah", PERSON, HANNAH, 1),
    M("Josh", PERSON, JOSH, 1),
    P("Oswestry", 1),
    P("Market Drayton", 1),
    P("Telford", 1),
    P("Hereford", 1),
    M("Abbey Foregate", ORG, ABBEY, 2),
    # "He's Wolves, I'm Arsenal": football clubs, not annotated.
]

DOCS["p3_int_mgr02.txt"] = [
    M("Sandra Hughes", PERSON, SANDRA, 18),  # speaker labels
    M("Sandra", PERSON, SANDRA, 2),
    M("Wellington Family Hub", ORG, WFH, 1),
    # "for the Telford districts", "district manager in Telford North"
    P("Telford", 2),
    M("Abbey Foregate", ORG, ABBEY, 1),  # "here at Abbey Foregate"
    # "for Shrewsbury", "the Shrewsbury LAC team"
    P("Shrewsbury", 2),
    M("Dev Malhotra", PERSON, DEV, 1),  # "Dev Malhotra's idea"
    M("Jo Kelly", PERSON, JO, 2),
    M("Jo", PERSON, JO, 1),
    # All-staff meetings "in person here or at Hadley, alternating" = office.
    C("or at Hadley", "Hadley", ORG, HADLEY_HUB),
    M("Mark Ellison", PERSON, MARK, 1),
    M("Carys Hughes", PERSON, CARYS, 1),
    # "that's, mark my words, that's the next thing" is lower case.
]

DOCS["p3_int_eh02.txt"] = [
    # Speaker labels "DC Hale:" (title excluded) and "Grace:".
    M("Hale", PERSON, HALE, 17),
    M("Sarah Hale", PERSON, HALE, 1),
    M("Sarah", PERSON, HALE, 2),
    M("Grace Bennett", PERSON, GRACE_B, 1),
    X("Mark my words"),  # Grace: "Mark my words, there'll be another one"
    M("Grace", PERSON, GRACE_B, 17),
    P("Telford", 1),
    # "I cover Hadley, Wellington and a bit of Oakengates" (patch);
    # "a strat from my desk ... rather than driving to Hadley" = the social
    # work office where strategy meetings used to be held.
    C("cover Hadley", "Hadley", PLACE, "Hadley"),
    C("driving to Hadley", "Hadley", ORG, HADLEY_HUB),
    P("Wellington", 1),
    P("Oakengates", 2),
    M("Anita", PERSON, ANITA, 3),
    M("Mark", PERSON, MARK, 1),
    M("Imran Qureshi", PERSON, QURESHI, 1),
    M("Qureshi", PERSON, QURESHI, 1),
    M("Castle Street", ORG, CASTLE_ST, 1),  # "Dr Qureshi at Castle Street"
    M("Wellington Family Hub", ORG, WFH, 1),
    M("Fiona Reid", PERSON, FIONA, 1),
    M("Fiona", PERSON, FIONA, 2),
    M("Dev Malhotra", PERSON, DEV, 1),
    M("Mensah", PERSON, MENSAHS, 1),
    # "he's a saving grace for that surgery" and "will this one be nice?"
    # are lower case; "the Family Hub" is generic.
]

DOCS["p3_obs_homevisit02.txt"] = [
    P("Ludlow", 4),  # heading, "Leave for Ludlow", address, "Leave Ludlow"
    M("Thursday 24 September 2026", DATE, "2026-09-24", 1),
    M("Ben Okafor", PERSON, BEN, 1),
    P("Shrewsbury", 3),  # "Shrewsbury LAC team", family centre, school taxi
    M("Abbey Foregate", ORG, ABBEY, 2),
    M("Ben", PERSON, BEN, 41),
    M("Billy", PERSON, BILLY, 35),
    M("William Williams", PERSON, BILLY, 1),
    M("Margaret Price", PERSON, MARGARET, 1),
    M("Margaret", PERSON, MARGARET, 14),
    M("Stacey Williams", PERSON, STACEY, 1),
    M("Stacey", PERSON, STACEY, 13),
    M("Hannah", PERSON, HANNAH, 1),
    M("Oakfield Academy", ORG, OAKFIELD, 1),
    P("Craven Arms", 1),
    M("Grace", PERSON, GRACE_W, 4),
    P("Coton Crescent", 1),  # "Stacey's house, Coton Crescent"
    M("7 Broad Street", ADDRESS, "7 Broad Street", 1),
    M("SY8 1AB", POSTCODE, "SY8 1AB", 1),
    # The foster carer's calendar: "Mr Okafur 2.30" (misspelt, title excluded)
    M("Okafur", PERSON, BEN, 1),
    M("Claire Donovan", PERSON, CLAIRE, 1),
    M("Claire", PERSON, CLAIRE, 2),
    M("01743 555 0192", PHONE, STACEY_PHONE, 1),
    M("Carys Hughes", PERSON, CARYS, 1),
    # Not annotated: "the A49", "Wolves", "Haribo", "tea at Mum's",
    # "The saving grace".
]

DOCS["p3_int_family02.srt"] = [
    M("Staci", PERSON, STACEY, 1),  # "Thanks for seeing me, Staci."
    M("Stacey", PERSON, STACEY, 27),  # speaker labels + 4 in speech
    M("Grace", PERSON, GRACE_W, 7),
    M("GRACE", PERSON, GRACE_W, 1),  # "Grace, GRACE, put the kettle on"
    M("Ben", PERSON, BEN, 14),
    M("Billy", PERSON, BILLY, 12),
    P("Telford", 1),
    P("Ludlow", 4),
    M("Margaret Price", PERSON, MARGARET, 1),
    M("Margaret", PERSON, MARGARET, 1),
    M("Oakfield", ORG, OAKFIELD, 1),
    X("Will you tell them"),  # verb
]


# --------------------------------------------------------------------------
# Machinery
# --------------------------------------------------------------------------
def load_texts() -> dict[str, str]:
    sys.path.insert(0, str(REPO / "src"))
    from fieldnotes.project import Project

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "gold.fnp")
        project = Project.create(path)
        project.intake.import_paths([str(SAMPLE)], manifest=str(SAMPLE / "manifest.csv"))
        texts = {d.name: project.document(d.name).text for d in project.documents()}
        close = getattr(project, "close", None)
        if callable(close):
            close()
    return texts


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


def find_whole(text: str, needle: str) -> list[int]:
    """Case-sensitive occurrences of needle with non-alphanumeric neighbours."""
    out, i = [], text.find(needle)
    while i != -1:
        before = text[i - 1] if i > 0 else ""
        after = text[i + len(needle)] if i + len(needle) < len(text) else ""
        if not (before and _is_word_char(before)) and not (after and _is_word_char(after)):
            out.append(i)
        i = text.find(needle, i + 1)
    return out


def annotate(doc: str, text: str, rules: list[Rule]) -> tuple[list[dict], list[str]]:
    claimed: list[tuple[int, int]] = []  # spans already taken (incl. X spans)
    records: list[dict] = []
    errors: list[str] = []

    def free(s: int, e: int) -> bool:
        return all(e <= cs or s >= ce for cs, ce in claimed)

    def add(s: int, e: int, rule: Rule) -> None:
        claimed.append((s, e))
        records.append({
            "document": doc, "start": s, "end": e, "text": text[s:e],
            "category": rule.category, "entity": rule.entity,
        })

    order = {"X": 0, "C": 1, "M": 2}
    for rule in sorted(rules, key=lambda r: (order[r.kind], -len(r.surface))):
        if rule.kind in ("X", "C"):
            hits = [i for i in find_whole(text, rule.context)
                    if free(i, i + len(rule.context))]
            if len(hits) != rule.n:
                errors.append(f"{doc}: context {rule.context!r}: expected {rule.n}, found {len(hits)}")
            for i in hits:
                if rule.kind == "X":
                    claimed.append((i, i + len(rule.context)))
                else:
                    s = i + rule.context.index(rule.surface)
                    add(s, s + len(rule.surface), rule)
        else:
            hits = [i for i in find_whole(text, rule.surface)
                    if free(i, i + len(rule.surface))]
            if len(hits) != rule.n:
                errors.append(f"{doc}: {rule.surface!r}: expected {rule.n}, found {len(hits)}")
            for i in hits:
                add(i, i + len(rule.surface), rule)
    return sorted(records, key=lambda r: r["start"]), errors


def verify(texts: dict[str, str], records: list[dict]) -> None:
    by_doc = collections.defaultdict(list)
    for r in records:
        assert r["category"] in CATEGORIES, r
        assert texts[r["document"]][r["start"]:r["end"]] == r["text"], r
        assert r["text"] == r["text"].strip() and r["text"], r
        by_doc[r["document"]].append(r)
    for doc, recs in by_doc.items():
        recs.sort(key=lambda r: r["start"])
        for a, b in zip(recs, recs[1:]):
            assert a["end"] <= b["start"], ("overlap", a, b)
    # Allowlisted terms must never be in the gold set.
    for r in records:
        low = r["text"].lower()
        assert "northmoor" not in low or r["category"] == EMAIL, r
        assert "shropshire" not in low, r
    assert len(records) >= 300, len(records)


def audit(texts: dict[str, str], records: list[dict]) -> None:
    """Print review aids: each annotation in context, then every capitalised
    token not covered by an annotation (to look for misses)."""
    by_doc = collections.defaultdict(list)
    for r in records:
        by_doc[r["document"]].append(r)
    for doc in sorted(texts):
        text = texts[doc]
        spans = [(r["start"], r["end"]) for r in by_doc[doc]]
        print(f"\n===== {doc}")
        for r in by_doc[doc]:
            s, e = r["start"], r["end"]
            ctx = (text[max(0, s - 25):s] + "[" + text[s:e] + "]" + text[e:e + 25]).replace("\n", " ")
            print(f"  {r['category']:<10} {r['entity']:<26} {ctx}")
        uncovered = collections.Counter()
        for m in re.finditer(r"[A-Z][A-Za-z0-9.@-]*|\d[\d ]{4,}\d", text):
            if not any(s <= m.start() < e for s, e in spans):
                uncovered[m.group().rstrip(".")] += 1
        print("  uncovered:", ", ".join(f"{w}x{n}" if n > 1 else w for w, n in sorted(uncovered.items())))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audit", action="store_true", help="print review aids")
    args = parser.parse_args()

    texts = load_texts()
    missing = set(texts) ^ set(DOCS)
    assert not missing, f"documents without annotation rules (or rules without documents): {missing}"

    records: list[dict] = []
    errors: list[str] = []
    for doc in sorted(texts):
        recs, errs = annotate(doc, texts[doc], DOCS[doc])
        records.extend(recs)
        errors.extend(errs)
    if errors:
        print("annotation rules do not match the texts:", *errors, sep="\n  ", file=sys.stderr)
        return 1
    records.sort(key=lambda r: (r["document"], r["start"]))
    verify(texts, records)

    with OUT.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")

    if args.audit:
        audit(texts, records)

    counts = collections.Counter(r["category"] for r in records)
    print(f"wrote {len(records)} mentions to {OUT.relative_to(REPO)}")
    for cat in CATEGORIES:
        print(f"  {cat:<11} {counts.get(cat, 0)}")
    print(f"  {'TOTAL':<11} {len(records)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
