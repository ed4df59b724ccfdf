"""The categories of identifying mentions, and the one place where model labels
map onto them."""

from __future__ import annotations

CATEGORIES = (
    "PERSON",
    "PLACE",
    "ORG",
    "ADDRESS",
    "POSTCODE",
    "PHONE",
    "EMAIL",
    "NHS_NUMBER",
    "NI_NUMBER",
    "REFERENCE",
    "DATE",
)

# spaCy (OntoNotes) labels -> fieldnotes categories. Labels not listed here
# (NORP, CARDINAL, TIME, MONEY, ...) are not identifying and are ignored.
SPACY_LABELS: dict[str, str] = {
    "PERSON": "PERSON",
    "GPE": "PLACE",
    "LOC": "PLACE",
    "FAC": "PLACE",
    "ORG": "ORG",
    "DATE": "DATE",
}

# Categories whose mentions are found by validated patterns: when a model span
# overlaps one of these, the pattern wins.
STRUCTURED = frozenset(
    {"ADDRESS", "POSTCODE", "PHONE", "EMAIL", "NHS_NUMBER", "NI_NUMBER", "REFERENCE", "DATE"}
)

# Names of things that appear in almost every English social-care transcript
# and identify nobody: services, inspectorates, national schemes, software,
# brands, acronyms of roles. A model span that is exactly one of these is
# dropped. (The project's own allowlist, which the researcher keeps, adds to
# this; see :func:`fieldnotes.pseudonymise.cluster.cluster`.)
NON_IDENTIFYING = frozenset(
    s.casefold()
    for s in (
        "Ofsted", "NHS", "CAMHS", "MASH", "ILACS", "DBS", "IRO", "IROs", "PEP", "PEPs",
        "LAC", "CP", "CIN", "SW", "NQSW", "NQSWs", "ASYE", "DSL", "GP", "GPs", "HR", "IT",
        "VPN", "IFA", "SMART", "RAG", "DfE", "Department for Education", "Teams",
        "Microsoft Teams", "Zoom", "Facebook", "WhatsApp", "Instagram", "TikTok",
        "PlayStation", "Lego", "CBeebies", "Haribo", "Wi-Fi", "Universal Credit",
        "Jobcentre", "Tesco", "Co-op", "Aldi", "Lidl", "Asda", "Sainsbury's",
        "Early Help", "Signs of Safety", "Operation Encompass", "Adult Services",
        "Children's Services", "Adult Learning Disabilities", "Disabled Children's Team",
        "Section 20", "Section 47", "Thinking Space", "Stronger Practice", "Form F",
        "Form Fs", "Family Hub", "the Family Hub", "Family Hubs", "National Insurance",
        "Universal Credit", "Arsenal", "Wolves", "Christmas", "Easter", "A49", "M54",
        "Google", "Word", "Excel", "Outlook", "Year 2", "Year 5", "Year 6",
        "Safeguarding and Assessment", "Telford Safeguarding and Assessment",
        "Interviewer", "Researcher", "Speaker", "Mum", "Dad",
        "Council", "the Council", "Local Authority", "the Local Authority", "LA", "Court",
        "the Court", "Family Court", "Police", "the Police", "Social Services",
        "Children's Social Care", "Social Care", "Government", "the Government", "Home Office",
        "DWP", "HMRC", "CPS", "Cafcass", "NSPCC", "Barnardo's", "Jobcentre Plus", "University",
        "A&E", "ICU", "CQC", "Social Work England", "BASW", "Frontline", "Step Up",
    )
)
