"""The categories of identifying mentions, and the one place where model labels
map onto them."""

from __future__ import annotations

import re
from functools import lru_cache

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


# --- the shipped keep list -------------------------------------------------------

_KEEP_WORD = re.compile(r"[^\s,;:()\[\]/]+")
_KEEP_FUNCTION = frozenset(
    """a an and the of for in on at to by with from or & 's ’s - – — no no. nos nos. first second third
    fourth fifth sixth seventh eighth ninth tenth""".split()
)


@lru_cache(maxsize=1)
def keep_phrases() -> frozenset[str]:
    """The shipped keep list (``pseudonymise/data/keep.txt``) plus the names of
    countries and of UK counties and unitary authorities from ``pycountry``,
    casefolded. Nothing in it is ever suggested as identifying."""
    from importlib.resources import files

    raw = (files("fieldnotes.pseudonymise") / "data" / "keep.txt").read_text(encoding="utf-8")
    phrases = {line.strip().casefold() for line in raw.splitlines() if line.strip() and not line.lstrip().startswith("#")}
    phrases |= _country_names()
    return frozenset(phrases)


@lru_cache(maxsize=1)
def _country_names() -> frozenset[str]:
    """Countries (name, common and official names) from pycountry: "Romania",
    "Poland", "United Kingdom". Absent package: an empty set."""
    try:
        import pycountry
    except ImportError:  # pragma: no cover
        return frozenset()
    out: set[str] = set()
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value:
                out.add(value.casefold())
    out |= {"england", "scotland", "wales", "northern ireland", "great britain", "britain", "uk", "the uk",
            "europe", "africa", "asia", "america", "the united kingdom"}
    return frozenset(out)


@lru_cache(maxsize=1)
def uk_counties() -> frozenset[str]:
    """English, Welsh and Scottish counties and unitary authorities (pycountry's
    ISO 3166-2:GB subdivisions, without their Welsh-language forms), casefolded."""
    try:
        import pycountry
    except ImportError:  # pragma: no cover
        return frozenset()
    out = set()
    for s in pycountry.subdivisions.get(country_code="GB") or ():
        if s.type in ("Country", "Province", "Nation"):
            continue
        name = re.sub(r"\s*\[.*\]$", "", s.name)
        if "," in name:  # "Durham, County", "Bristol, City of"
            name = name.split(",")[0]
        out.add(name.casefold())
    return frozenset(out)


def _keep_key(surface: str) -> str:
    text = re.sub(r"\s+", " ", surface.strip()).casefold()
    text = re.sub(r"^the ", "", text)
    return re.sub(r"['’]s$", "", text) if not text.endswith(("'s services", "’s services")) else text


def is_kept(surface: str, extra: frozenset[str] | set[str] = frozenset()) -> bool:
    """Is ``surface`` on the keep list (or ``extra``, the project's own), whole
    or as words that each are? "Department for Education", "Research
    Governance Group", "Appendix 2" are; "Heron Team", "Kestermouth Borough
    Council" are not.

    >>> is_kept("Department for Education"), is_kept("Heron Team"), is_kept("the Front Door")
    (True, False, True)
    """
    phrases = keep_phrases()
    folded = re.sub(r"\s+", " ", surface.strip()).casefold()
    key = _keep_key(surface)
    if folded in phrases or key in phrases or folded in extra or key in extra:
        return True
    words = _KEEP_WORD.findall(folded)
    if not words:
        return False
    for w in words:
        w = re.sub(r"['’]s$", "", w.strip(".'’\"“”‘"))
        if not w or w in _KEEP_FUNCTION or w.isdigit() or re.fullmatch(r"\d+[a-z]?|[ivx]+", w):
            continue
        if w in phrases or w in extra or (w + "s") in phrases:
            continue
        return False
    return any(not w.isdigit() for w in words)
