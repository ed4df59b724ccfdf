"""Pattern rules for identifying mentions: compiled once at import.

Each ``find_*`` function takes a document's text and returns
``(start, end, category, rule_name)`` tuples; :func:`fieldnotes.pseudonymise.
detect.detect_rules` turns them into candidates.
"""

from __future__ import annotations

import re
from functools import lru_cache

from fieldnotes.pseudonymise.names import (
    MONTHS,
    _FUNCTION_WORDS,
    is_first_name,
    is_kinship,
    is_role_word,
    is_title,
)

Span = tuple[int, int, str, str]

# A capitalised word of a name: Mensah, O'Brien, McDonald, Smith-Jones, Zoë.
_UP = "A-ZÀ-ÖØ-ÞĀ-ſ"
_LO = "a-zß-öø-ÿĀ-ſ"
NAME_WORD = rf"(?:[{_UP}][{_LO}]*['’][{_UP}][{_LO}]+|Ma?c[{_UP}][{_LO}]+|[{_UP}][{_LO}]+(?:[-‐‑][{_UP}][{_LO}]+)?)"
# Word boundaries that also keep us out of email addresses and web names.
_B = r"(?<![\w@])(?<!\w[.@])"
_E = r"(?![\w@])(?!['’]?[.@]\w)"

# --- titles with names -------------------------------------------------------
_TITLE_ALT = "|".join(
    sorted(
        (
            "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Doctor", "Prof", "Professor", "Sir", "Dame",
            "Rev", "Revd", "Reverend", "Fr", "Cllr", "Councillor", "Judge", "Nurse", "DC", "DS",
            "DI", "DCI", "DSI", "PC", "PCSO", "Sgt", "Sergeant", "Insp", "Inspector", "Lord", "Lady",
        ),
        key=len,
        reverse=True,
    )
)
_INITIALS = r"[A-Z]\.(?:[ \t]?-?[A-Z]\.)*"
_TITLED = re.compile(
    rf"{_B}(?:{_TITLE_ALT})\.?[ \t]+(?P<name>(?:{_INITIALS}[ \t]*)?(?:{NAME_WORD}|[A-Z]{{2,}}(?![\w]))(?:[ \t]+{NAME_WORD}){{0,2}}"
    rf"|{_INITIALS}|[A-Z](?![\w'’.]))"
)
# Judges and counsel named with a post-nominal: "Auld LJ", "Tugendhat J",
# "Mr D. Pannick QC": the name and the letters are one mention.
_POSTNOMINAL = re.compile(rf"{_B}(?P<name>{NAME_WORD}[ \t]+(?:LJ|LJJ|JJ|J|MR|LCJ|QC|KC|SC))(?![\w])")
# Neutral citations of English and Welsh judgments: "[2008] EWHC 860 (QB)".
_NEUTRAL_CITATION = re.compile(
    r"\[(?:19|20)\d\d\][ \t]+(?:UKSC|UKHL|UKPC|EWCA[ \t]+(?:Civ|Crim)|EWHC|EWFC|EWCOP|UKUT|UKFTT|EWFC B|EWHC B)"
    r"[ \t]+\d+(?:[ \t]+\((?:QB|KB|Fam|Admin|Ch|Comm|TCC|Pat|IPEC|AAC|IAC|LC)\))?"
)
_KIN_ALT = "Nana|Nanna|Nan|Nanny|Grandma|Granny|Gran|Grandad|Grandpa|Auntie|Aunty|Aunt|Uncle"
_KIN = re.compile(rf"{_B}(?P<kin>{_KIN_ALT})[ \t]+(?P<name>{NAME_WORD})(?=['’]s\b|{_E})")
# "R. Evans": an initial and a surname.
_INITIAL = re.compile(rf"{_B}[A-HJ-Z]\.[ \t]?(?P<name>{NAME_WORD})(?=['’]s\b|{_E})")

# --- identifiers ---------------------------------------------------------------
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:GIR ?0AA|[A-PR-UWYZ](?:[A-HK-Y]?\d[A-Z\d]?|\d[A-HJKPSTUW])[ \t]?\d[ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])"
)
_PHONE = re.compile(r"(?<![\w+])(?:\+44[ \t]?(?:\(0\)[ \t]?)?|\(?0)\d(?:\)?[ \t-]?\d){8,11}(?![\d])")
_NHS = re.compile(r"(?<![\w-])\d{3}[ \t-]?\d{3}[ \t-]?\d{4}(?![\w-])")
# National Insurance numbers: two letters (HMRC never issues D, F, I, Q, U, V
# first or D, F, I, O, Q, U, V second, nor BG, GB, KN, NK, NT, TN, ZZ), six
# digits, a letter A-D. QQ is HMRC's specimen prefix, common in examples and
# training material, so it is accepted too.
_NI = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)(?:QQ|[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])[ \t]?\d{2}[ \t]?\d{2}[ \t]?\d{2}[ \t]?[A-D](?![A-Za-z0-9])"
)
DEFAULT_REFERENCE_PATTERNS = (r"\b[A-Z]{2,5}-\d{4}-\d{3,6}\b",)

_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0", "nil": "0", "one": "1", "two": "2",
    "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
_DW = "zero|oh|nought|one|two|three|four|five|six|seven|eight|nine"
_SPOKEN = re.compile(
    rf"(?i)\b(?:(?:double|triple|treble)[ \t]+)?(?:{_DW})(?:[ \t,-]+(?:(?:double|triple|treble)[ \t]+)?(?:{_DW})\b){{7,}}"
)

# --- dates ---------------------------------------------------------------------
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tues|Tue|Wed|Weds|Thurs|Thur|Thu|Fri|Sat|Sun)\.?"
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_ORD_UNITS = "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth"
_ORD_WORD = (
    rf"(?:(?:twenty|thirty)[- ](?:{_ORD_UNITS})|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|"
    rf"sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth|{_ORD_UNITS})"
)
_DAY_NUM = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_DAY_SUFFIX = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)"
_TEENS = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_YEAR_WORDS = (
    rf"(?:(?:nineteen|twenty)[- ](?:(?:oh|o)[- ](?:{_UNITS})|{_TEENS}|(?:{_TENS})(?:[- ](?:{_UNITS}))?)"
    rf"|two thousand(?: and)?(?: (?:{_UNITS}|{_TEENS}|(?:{_TENS})(?:[- ](?:{_UNITS}))?))?)"
)
_YEAR = rf"(?:(?:19|20)\d\d(?!\d)|(?i:{_YEAR_WORDS})\b)"
_DATE_PATTERNS = [
    # (Thursday) (the) 5(th) (of) March (2026), the twenty-second of April
    rf"(?:{_WEEKDAY},?[ \t]+)?(?:the[ \t]+)?(?:{_DAY_NUM}|(?i:{_ORD_WORD}))(?:[ \t]+of)?[ \t]+{_MONTH}(?:,?[ \t]+{_YEAR})?",
    # March 5(th)(, 2026)
    rf"{_MONTH}[ \t]+(?:the[ \t]+)?{_DAY_NUM}(?!\d)(?!:)(?:,?[ \t]+{_YEAR})?",
    # Tues 10th, Thursday the twelfth
    rf"{_WEEKDAY},?[ \t]+(?:the[ \t]+)?(?:{_DAY_SUFFIX}|(?i:{_ORD_WORD}))",
    # 18/06/2025, 18.06.25, 18-06-2025
    r"(?:3[01]|[12]\d|0?[1-9])([/.-])(?:1[0-2]|0?[1-9])\1(?:(?:19|20)\d\d|\d\d)(?![\d/.-]\d)",
    # 2025-06-18
    r"(?:19|20)\d\d-(?:1[0-2]|0[1-9])-(?:3[01]|[12]\d|0[1-9])",
]
_DATE = re.compile(r"(?<![\w/.-])(?:" + "|".join(_DATE_PATTERNS) + r")(?![\w])")

# --- addresses, streets, establishments ------------------------------------------
_STREET_TYPES = (
    "Street|Road|Lane|Avenue|Crescent|Close|Drive|Grove|Court|Terrace|Gardens|Square|Mews|Row|Way|"
    "Place|Walk|Rise|Parade|Boulevard|Hill|Green|Park|View|Vale|Approach|Wharf|Quay|Yard|Rd|Ave|St"
)
_STREET_ONLY_TYPES = "Street|Road|Lane|Avenue|Crescent|Close|Drive|Grove|Terrace|Gardens|Square|Mews|Row|Way"
_BUILDING_TYPES = "House|Court|Tower|Towers|Lodge|Chambers|Buildings|Mansions|Heights|Point|Mill|Cottage|Cottages|Farm"
_ADDRESS = re.compile(
    rf"{_B}(?:(?:[Nn]umber|[Nn]o\.?)[ \t]+)?(?P<addr>(?:(?:Flat|Apartment|Apt|Unit|Room)\.?[ \t]+\d{{1,4}}[A-Za-z]?,?[ \t]+)?"
    rf"(?:(?:{NAME_WORD}[ \t]+)+(?:{_BUILDING_TYPES}),?[ \t]+)?"
    rf"(?:\d{{1,4}}[A-Za-z]?,?[ \t]+)?"
    rf"(?:{NAME_WORD}(?:['’]s)?[ \t]+){{1,3}}(?:{_STREET_TYPES})\.?)(?![\w'’])"
)
# "Tanyard House", "Linnet Court", "Pelham Tower": a named building.
_BUILDING = re.compile(rf"{_B}(?P<b>(?:{NAME_WORD}[ \t]+){{1,2}}(?:{_BUILDING_TYPES}))(?![\w'’])")
_ADDRESS_LINE = re.compile(
    rf"(?m)^[ \t]*(?P<street>(?:\d{{1,4}}[A-Za-z]?[ \t]+)?(?:{NAME_WORD}(?:['’]s)?[ \t]+){{1,3}}(?:{_STREET_TYPES}))"
    r"(?=,[ \t]*[A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*)?,?[ \t]+[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?(?:[ \t]?\d[A-Z]{2})?(?![\w]))"
)
# "two children at number 14", "lives at No. 7": a house by its number.
_HOUSE_NUMBER = re.compile(r"(?<![\w])(?:at|to|from|outside|near|opposite|next door to|of)[ \t]+(?P<n>[Nn]umber[ \t]+\d{1,4}[A-Za-z]?)(?![\w])")
_STREET = re.compile(rf"{_B}(?P<street>(?:{NAME_WORD}(?:['’]s)?[ \t]+){{1,3}}(?:{_STREET_ONLY_TYPES}))(?![\w'’])")
_ORG_SUFFIX = (
    "Primary School|Primary Academy|Primary|Infant School|Infants|Junior School|Juniors|High School|"
    "Secondary School|Grammar School|School|Academy|College|Nursery School|Nursery|Pre-School|Preschool|"
    "Playgroup|Surgery|Medical Practice|Dental Practice|GP Practice|Health Practice|Medical Centre|"
    "Health Centre|Family Hub|Hub|Children's Centre|Children’s Centre|Family Centre|Community Centre|"
    "Hospital|Clinic|Leisure Centre|Borough Council|County Council|City Council|District Council|Parish Council|"
    "Council|Team|Solicitors|LLP|Ltd|Limited|Family Law|Law|Constabulary|Police|NHS Foundation Trust|NHS Trust|"
    "Trust|Community Health|Healthcare|Recovery Service|Learning Centre|Women's Centre|Women’s Centre|Contact Centre|"
    "Care Home|Children's Home|Children’s Home|Residential Home|Lodge|Fostering|Housing|Housing Association|"
    "Young Carers|Young Carers Network|Network|Infirmary|Foundation|Charity|Project|Partnership|Associates|"
    "Chambers|Church|Mosque|Temple|Gurdwara|Synagogue|Centre"
)
_ORG = re.compile(
    rf"{_B}(?P<org>(?:St\.?[ \t]+)?{NAME_WORD}(?:['’]s)?(?:[ \t]+(?:{NAME_WORD}(?:['’]s)?|and|of|&|C of E|CE|Church of England)){{0,3}}"
    rf"[ \t]+(?:{_ORG_SUFFIX}))(?![\w'’])"
)
ORG_SUFFIX_RE = re.compile(rf"[ \t]+(?:{_ORG_SUFFIX})$", re.IGNORECASE)
# Words that make a name generic: "the Family Hub", "Early Help Hub".
_GENERIC = frozenset(
    w.casefold()
    for w in (
        "Family", "Families", "Children's", "Children’s", "Children", "Community", "Local", "Early",
        "Help", "Medical", "Health", "Primary", "Secondary", "Stronger", "Practice", "Thinking",
        "Space", "Virtual", "Big", "New", "Old", "Main", "Central", "Whole", "Our", "Their", "The",
        "This", "That", "Special", "Village", "Town", "City", "County", "Council", "Youth",
        "Adult", "Adults", "Parent", "Parents", "Young", "Carers", "Foster", "Fostering", "Team",
        "Teams", "Social", "Care", "Safeguarding", "Assessment", "District", "North", "South",
        "East", "West", "Hub", "Hubs", "Infant", "Junior", "High", "Grammar", "Nursery", "School",
        "Play", "Leisure", "Dental", "General", "Royal", "National", "Free", "Catholic", "Church",
        "Every", "Each", "Another", "Which", "What", "His", "Her", "My", "Your", "At", "In", "On",
        "From", "To", "And", "But", "So", "Or", "If", "When", "Then", "With", "For", "Of", "A", "An",
    )
)

_LEADING_NOISE = frozenset(
    w.casefold()
    for w in (
        "The", "A", "An", "At", "In", "On", "From", "To", "And", "But", "So", "Or", "If", "When",
        "Then", "With", "For", "Of", "Our", "Their", "His", "Her", "My", "Your", "This", "That",
        "Back", "Got", "Went", "Drove", "Dropped", "Met", "Left", "Arrive", "Arrived", "Leave",
        "Near", "By", "Via", "Towards", "Into", "Up", "Down", "Past", "Outside", "Inside",
    )
)


def _strip_leading_noise(text: str, start: int, end: int) -> tuple[int, int]:
    """Move ``start`` past sentence-initial function words ("At Hadley Hub")."""
    while True:
        m = re.match(r"([^\s]+)[ \t]+", text[start:end])
        if not m or m.group(1).casefold() not in _LEADING_NOISE:
            return start, end
        start += m.end()


def _nhs_valid(digits: str) -> bool:
    """The NHS number mod-11 check: weights 10..2 over the first nine digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def nhs_number_valid(number: str) -> bool:
    """True when ``number`` (spaces and dashes allowed) passes the NHS checksum.

    >>> nhs_number_valid("943 476 5919"), nhs_number_valid("943 476 5918")
    (True, False)
    """
    return _nhs_valid(re.sub(r"[\s-]", "", number))


def _phone_valid(raw: str) -> bool:
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("44"):
        digits = "0" + digits[2:].removeprefix("0")
    if not digits.startswith("0") or len(digits) < 10 or len(digits) > 12:
        return False
    # 01/02 geographic, 03 non-geographic, 05 corporate, 07 mobile, 08 free/shared rate.
    return digits[1] in "123578" and not (digits[1] == "7" and len(digits) != 11)


def find_identifiers(text: str, reference_patterns: tuple[str, ...] = ()) -> list[Span]:
    found: list[Span] = []
    for m in _EMAIL.finditer(text):
        found.append((m.start(), m.end(), "EMAIL", "email"))
    for m in _POSTCODE.finditer(text):
        found.append((m.start(), m.end(), "POSTCODE", "postcode"))
    for m in _NI.finditer(text):
        found.append((m.start(), m.end(), "NI_NUMBER", "ni_number"))
    nhs_spans = []
    for m in _NHS.finditer(text):
        if _nhs_valid(re.sub(r"\D", "", m.group())):
            found.append((m.start(), m.end(), "NHS_NUMBER", "nhs_number"))
            nhs_spans.append((m.start(), m.end()))
    for m in _PHONE.finditer(text):
        if _phone_valid(m.group()) and not any(s < m.end() and m.start() < e for s, e in nhs_spans):
            found.append((m.start(), m.end(), "PHONE", "phone"))
    for m in _SPOKEN.finditer(text):
        digits = _spoken_digits(m.group())
        if digits is None:
            continue
        if len(digits) == 10 and _nhs_valid(digits):
            found.append((m.start(), m.end(), "NHS_NUMBER", "nhs_number_spoken"))
        elif digits.startswith("0") and len(digits) in (10, 11) and _phone_valid(digits):
            found.append((m.start(), m.end(), "PHONE", "phone_spoken"))
    for m in _LABELLED.finditer(text):
        plural = re.match(r"(?i)nos\b|numbers\b|references\b", m.group())
        for t in _ID_TOKEN.finditer(text, m.start("ids"), m.end("ids")):
            if _id_shaped(t.group()) or (plural and re.fullmatch(r"\d{2}", t.group())):
                found.append((t.start(), t.end(), "REFERENCE", "labelled_id"))
    for pattern, name in ((_SLASH_CODE, "slash_code"), (_MIXED_SLASH, "mixed_code"), (_APP_NO, "application_no"), (_ALNUM_CODE, "alnum_code"),
                          (_LONG_NUMBER, "long_number")):
        for m in pattern.finditer(text):
            if name == "application_no" and _year_range(m.group()):
                continue
            if name == "long_number" and re.fullmatch(r"(?:19|20)\d\d", m.group()):
                continue
            found.append((m.start("id") if "id" in pattern.groupindex else m.start(),
                          m.end("id") if "id" in pattern.groupindex else m.end(), "REFERENCE", name))
    for m in _NEUTRAL_CITATION.finditer(text):
        found.append((m.start(), m.end(), "REFERENCE", "neutral_citation"))
    for m in _COLLAR.finditer(text):
        found.append((m.start("id"), m.end("id"), "REFERENCE", "collar_number"))
    for pattern in _reference_regexes(tuple(reference_patterns)):
        for m in pattern.finditer(text):
            if m.end() > m.start():
                found.append((m.start(), m.end(), "REFERENCE", "reference"))
    seen: set[tuple[int, int]] = set()
    unique = []
    for span in found:  # one identifier found by its label and its shape is one span
        if (span[0], span[1]) not in seen:
            seen.add((span[0], span[1]))
            unique.append(span)
    return unique


# Identifiers by their label: "Case No: KM24C00461", "occurrence number
# HC/24/031877", "application no. 36110/97", "Mosaic ID 2390417", "hospital
# number K0487213", "ref 4471", "nos. 511 and 513". The label is any of the
# words that introduce a number; what follows must have an identifier's shape
# (a digit in it, three characters or more), whatever the words around.
_ID_LABEL = (
    r"(?:[Nn]o|NO|[Nn]os|[Nn]um|[Nn]umbers?|NUMBER|[Rr]ef|REF|[Rr]eference|REFERENCE|[Rr]eferences|ID|[Ii]d|"
    r"URN|MRN|CRN|UPN|ULN|CHI|[Cc]ase|[Ff]ile|[Ll]og|[Ii]ncident|[Oo]ccurrence|[Cc]rime|[Cc]ollar|[Ww]arrant|"
    r"[Cc]laim|[Aa]pplication|[Aa]pp|[Pp]ayroll|[Ss]taff|[Ee]mployee|[Pp]atient|[Hh]ospital|[Aa]ccount)"
)
_ID_TOKEN_RE = r"[A-Z0-9][A-Za-z0-9]*(?:[/.\-][A-Za-z0-9]+)*"
_ID_TOKEN = re.compile(rf"(?<![\w/]){_ID_TOKEN_RE}(?![\w/])")
_LABELLED = re.compile(
    rf"(?<![\w-]){_ID_LABEL}\.?(?:[ \t]+(?:{_ID_LABEL}|is|was|of))?\.?[ \t]*[:#]?[ \t]*(?:\(?[ \t]*)"
    rf"(?P<ids>{_ID_TOKEN_RE}(?:(?:,[ \t]*|[ \t]+and[ \t]+|[ \t]*;[ \t]*)(?!\d{{1,2}}[ \t]+[A-Z][a-z]){_ID_TOKEN_RE})*)"
)


def _id_shaped(token: str) -> bool:
    """Has ``token`` an identifier's shape: a digit, three characters or
    more, and not a plain year or a time?"""
    return (
        len(token) >= 3
        and any(c.isdigit() for c in token)
        and not re.fullmatch(r"(?:19|20)\d\d|\d{1,2}[.:]\d\d|\d+(?:st|nd|rd|th)", token)
    )


# Identifiers by shape alone: "HC/24/031877", "FD/2024/08817" (letters and
# numbers in slashed parts), ECHR application numbers "36110/97", codes of
# letters and four or more digits "KM24C00461", long bare numbers "2417733".
_SLASH_CODE = re.compile(r"(?<![\w/])(?=[A-Z0-9/]*\d)[A-Z][A-Z0-9]{0,7}(?:/[A-Z0-9]{1,10}){2,}(?![\w/])")
# Codes that mix numbers, capitals and a slash: "11/15W.2", "MK10/2AB".
_MIXED_SLASH = re.compile(
    r"(?<![\w/.-])(?=[0-9A-Z./]*[A-Z])(?=(?:[A-Z./]*\d){2})[0-9A-Z]+(?:[/.][0-9A-Z]+)*/[0-9A-Z]+(?:[/.][0-9A-Z]+)*(?![\w/-])"
)
_APP_NO = re.compile(r"(?<![\w/.,])\d{3,6}/\d{2}(?![\w/])")
_ALNUM_CODE = re.compile(r"(?<![\w/-])(?=[A-Z]*\d(?:[A-Z]*\d){3})(?=\d*[A-Z])[A-Z0-9]{7,14}(?![\w/-])")
_LONG_NUMBER = re.compile(r"(?<![\w.,/£$€+-])\d{6,9}(?![\w/%]|[.,]\d)")
# Police collar numbers: a rank followed by digits ("PC 2291 Farrant").
_COLLAR = re.compile(r"(?<![\w])(?:PC|PCSO|DC|DS|PS|Sgt|Sergeant|Constable)[ \t]+(?P<id>\d{2,6})(?![\w/])")


def _year_range(token: str) -> bool:
    """"2017/18", "1996/97": a year range, not an application number."""
    m = re.fullmatch(r"((?:19|20)\d\d)/(\d\d)", token)
    return bool(m) and 0 < (int(m.group(2)) - int(m.group(1))) % 100 <= 12


def _spoken_digits(words: str) -> str | None:
    out = []
    repeat = 1
    for w in re.findall(r"[A-Za-z]+", words.lower()):
        if w == "double":
            repeat = 2
        elif w in ("triple", "treble"):
            repeat = 3
        elif w in _DIGIT_WORDS:
            out.append(_DIGIT_WORDS[w] * repeat)
            repeat = 1
    digits = "".join(out)
    return digits if 10 <= len(digits) <= 11 else None


@lru_cache(maxsize=32)
def _reference_regexes(extra: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    from fieldnotes.errors import FieldnotesError

    compiled = []
    for pattern in (*DEFAULT_REFERENCE_PATTERNS, *extra):
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise FieldnotesError(f"reference pattern {pattern!r} is not a valid regular expression: {exc}") from None
    return tuple(compiled)


# "before the 13th", "is that the 13th?": a day of the month on its own; not
# "the 25th centile" or "the 19th century" (a noun follows those).
_BARE_DAY = re.compile(
    r"(?<![\w])the[ \t]+(?P<day>(?:3[01]|[12]\d|[1-9])(?:st|nd|rd|th))"
    r"(?=[ \t]*(?:[.,;:?!)]|$|[ \t]+(?:at|and|or|when|before|after|please|if|so|because|for|to|is|was|then)\b))",
    re.MULTILINE,
)


def find_dates(text: str) -> list[Span]:
    found = [(m.start(), m.end(), "DATE", "date") for m in _DATE.finditer(text)]
    found += [(m.start("day"), m.end("day"), "DATE", "day_of_month") for m in _BARE_DAY.finditer(text)]
    return found


_SPECIFIC_DATE = re.compile(r"(?:" + "|".join(_DATE_PATTERNS) + r")")


def is_specific_date(span_text: str) -> bool:
    """True for a calendar day ("12 March 2018", "the fourth of June"), false for
    months, years, weekdays and relative dates alone."""
    return _SPECIFIC_DATE.search(span_text) is not None


def find_places_and_orgs(text: str) -> list[Span]:
    found: list[Span] = []
    for m in _ADDRESS.finditer(text):
        # a house number, a flat or a named building must lead: "High Street"
        # alone is left to the street rule and its list of generic words
        if not re.search(r"\d", m.group("addr")):
            continue
        found.append((m.start("addr"), m.end("addr"), "ADDRESS", "address"))
    for m in _BUILDING.finditer(text):
        s, e = _strip_leading_noise(text, m.start("b"), m.end("b"))
        words = text[s:e].split()
        if len(words) >= 2 and words[0].casefold() not in _GENERIC and words[0].casefold() not in _FUNCTION_WORDS:
            found.append((s, e, "PLACE", "building"))
    for m in _STREET.finditer(text):
        s, e = _strip_leading_noise(text, m.start("street"), m.end("street"))
        words = text[s:e].split()
        if len(words) >= 2 and words[0].casefold() not in _GENERIC and words[0].casefold() not in _FUNCTION_WORDS:
            found.append((s, e, "PLACE", "street"))
    for m in _ADDRESS_LINE.finditer(text):
        # "Church Walk, Oakhallow, KM6 2BD": a line of an address, generic first word or not
        found.append((m.start("street"), m.end("street"), "PLACE", "address_line"))
    for m in _HOUSE_NUMBER.finditer(text):
        found.append((m.start("n"), m.end("n"), "ADDRESS", "house_number"))
    for m in _ORG.finditer(text):
        s, e = _strip_leading_noise(text, m.start("org"), m.end("org"))
        head = ORG_SUFFIX_RE.sub("", text[s:e])
        words = [w.strip("'’s") if w.endswith(("'s", "’s")) else w for w in head.split()]
        distinct = [w for w in words if w.casefold() not in _GENERIC and w.casefold() not in ("st", "st.", "and", "of", "&")]
        if distinct and s < e:
            found.append((s, e, "ORG", "establishment"))
    return found


def _name_words_end(text: str, start: int, end: int) -> int:
    """Cut a run of capitalised words where the name stops ("Hale reports" is
    already cut by the regex; this drops "Qureshi Monday" tails)."""
    words = list(re.finditer(r"\S+", text[start:end]))
    keep = start
    for i, w in enumerate(words):
        token = w.group()
        folded = token.casefold()
        if i > 0 and (folded in _FUNCTION_WORDS or is_role_word(token) or token in MONTHS):
            break
        keep = start + w.end()
    return keep


def find_titled_names(text: str) -> list[Span]:
    """"Mrs Mensah", "DC Hale", "Dr Imran Qureshi" -> the name; "Nana Pat" ->
    the pair; "R. Evans" -> the initial and surname."""
    found: list[Span] = []
    for m in _TITLED.finditer(text):
        s = m.start("name")
        e = _name_words_end(text, s, m.end("name"))
        first = text[s:e].split()[0]
        if first.casefold() in _FUNCTION_WORDS and not is_first_name(first):
            continue
        if is_role_word(first) or first in MONTHS:
            continue
        found.append((s, e, "PERSON", "title"))
    for m in _POSTNOMINAL.finditer(text):
        first = m.group("name").split()[0]
        if not is_role_word(first) and not is_title(first) and first not in MONTHS and first.casefold() not in _FUNCTION_WORDS:
            found.append((m.start("name"), m.end("name"), "PERSON", "postnominal"))
    for m in _KIN.finditer(text):
        name = m.group("name")
        if is_first_name(name) and not is_role_word(name):
            found.append((m.start(), m.end("name"), "PERSON", "kinship"))
    for m in _INITIAL.finditer(text):
        name = m.group("name")
        folded = name.casefold()
        if folded in _FUNCTION_WORDS or is_role_word(name) or name in MONTHS or is_title(name):
            continue
        # "Plan B. Then" is a sentence break, not a name: the initial must not
        # end a word ("Plan B.") -- require a space or line start before it.
        if m.start() > 0 and text[m.start() - 1] not in " \t\n([\"'“‘":
            continue
        found.append((m.start(), m.end(), "PERSON", "initial"))
    return found


# Form and record fields whose value is a person: "Child: Ruby-Leigh Dawson,",
# "Caller: Mrs Beverley Ashdown", "Witness: Eilidh Drummond", "Signed: ...".
_FIELD = re.compile(
    r"(?im)^[ \t]*(?:child|children|caller|mother|father|mum|dad|parent|parents|carer|carers|name|client|"
    r"young person|subject child|patient|referrer|worker|social worker|allocated worker|allocated social worker|"
    r"duty social worker|contact officer|duty manager|team manager|supervisee|supervisor|witness|observer|"
    r"observed by|signed|signature|author|prepared by|written by|completed by|recorded by|interviewee|"
    r"interviewer|facilitator|note taker|notetaker|chair|present|attendees|from|to|cc|bcc|sibling|siblings|"
    r"guardian|step-?father|step-?mother|partner|grandmother|grandfather|foster carers?|key worker|"
    r"health visitor|teacher|dsl|headteacher)[ \t]*:[ \t]*"
)
_FIELD_NAME = re.compile(
    rf"(?:(?:{_TITLE_ALT})\.?[ \t]+)?(?P<name>{NAME_WORD}(?:[ \t]+{NAME_WORD}){{0,3}})(?=[ \t]*(?:[,;(<|–—-]|$|\n))",
    re.MULTILINE,
)


#: Words that start a sentence, never a name in a field's value.
_LEADING_WORDS = frozenset("""and but so or then when what where why how who which did do does is are was were
    has have had can could would should yes no okay ok right well now also just""".split())


def find_field_names(text: str) -> list[Span]:
    """People named in a record's fields: "Child: Ruby-Leigh Dawson, DOB ...",
    "Present: SP (chair), DS Whitlock, Siobhan Keane". Each comma-separated
    value that is a run of capitalised words (two or more, or one known
    first name) is a person."""
    found: list[Span] = []
    for m in _FIELD.finditer(text):
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end < 0 else line_end
        pos = m.end()
        for part in re.finditer(r"[^,;]+", text[pos:line_end]):
            n = _FIELD_NAME.match(text, pos + part.start() + (len(part.group()) - len(part.group().lstrip())))
            if not n:
                continue
            s, e = n.start("name"), n.end("name")
            # A transcript's "Interviewer: And Sandra Hughes, as ..." is a
            # sentence, not a field value: its first word is no part of a name.
            while True:
                first = re.match(r"(\S+)[ \t]+", text[s:e])
                if not first or first.group(1).casefold() not in _LEADING_WORDS:
                    break
                s += first.end()
            words = text[s:e].split()
            if not words or words[0].casefold() in _LEADING_WORDS:
                continue
            if any(is_role_word(w) or w in MONTHS for w in words) or ORG_SUFFIX_RE.search(text[s:e]):
                continue  # "Team: Heron Team", "Present: Oakhallow Primary School": not a person
            if len(words) >= 2 or is_first_name(words[0]):
                found.append((s, e, "PERSON", "field"))
    return found


def find_speaker_labels(text: str, turns) -> list[Span]:
    """Speaker labels that are names: "Anita:", "ANITA:", "Anita Shah:",
    "Hughes, Carys:", "DC Hale:" (-> "Hale"). Generic labels are skipped."""
    found: list[Span] = []
    seen: set[int] = set()
    for turn in turns:
        speaker = (getattr(turn, "speaker", None) or "").strip()
        start = getattr(turn, "start", None)
        if not speaker or start is None or start in seen:
            continue
        seen.add(start)
        line_start = text.rfind("\n", 0, start) + 1
        segment = text[line_start:start]
        at = segment.rfind(speaker)
        if at < 0:
            continue
        s = line_start + at
        span = label_name_span(speaker)
        if span is None:
            continue
        found.append((s + span[0], s + span[1], "PERSON", "speaker"))
    return found


def label_name_span(label: str) -> tuple[int, int] | None:
    """Where the name is inside a speaker label, or None when the label is
    generic ("Interviewer", "SW", "Speaker 1", "Mum", "Q")."""
    # a marker after the name is not part of it: "Malik, Sana (Guest)",
    # "Ben Ayres (he/him)", "Jo Kent [Harland CC]"
    marker = re.search(r"\s*[(\[][^()\[\]]*[)\]]\s*$", label)
    if marker and marker.start() > 0:
        label = label[:marker.start()]
    words = list(re.finditer(r"[^\s,]+", label))
    if not words or len(words) > 4:
        return None
    if "," in label:
        # "Hughes, Carys": surname, forename
        parts = [p.strip() for p in label.split(",")]
        if len(parts) == 2 and all(p and all(_looks_like_name_word(w) for w in p.split()) for p in parts):
            return (0, len(label))
        return None
    first = 0
    while first < len(words) - 1 and is_title(words[first].group()):
        first += 1
    name_words = [w.group() for w in words[first:]]
    if any(is_role_word(w) or any(c.isdigit() for c in w) for w in name_words):
        return None
    if not all(_looks_like_name_word(w) for w in name_words):
        return None
    titled = first > 0
    if all(w.isupper() for w in name_words):
        # "BEN", "SAGAL": a speaker label in capitals is a name unless it is a
        # role ("FACILITATOR", "INTERVIEWER") or an acronym on the keep list.
        from fieldnotes.pseudonymise.categories import is_kept

        if len(name_words[0]) < 2 or name_words[0].casefold() in _FUNCTION_WORDS or not (
                titled or is_first_name(name_words[0]) or (len(name_words[0]) >= 3 and not is_kept(" ".join(name_words)))):
            return None
    elif not (titled or len(name_words) >= 2 or is_first_name(name_words[0])):
        if name_words[0].casefold() in _FUNCTION_WORDS or len(name_words[0]) < 3:
            return None
    return (words[first].start(), words[-1].end())


def _looks_like_name_word(word: str) -> bool:
    w = word.strip(".")
    return bool(w) and w[0].isupper() and w.replace("-", "").replace("'", "").replace("’", "").isalpha()


def kinship_name(span_text: str) -> str:
    """The name inside "Nana Pat" ("Pat"); other text unchanged."""
    parts = span_text.split(None, 1)
    if len(parts) == 2 and is_kinship(parts[0]):
        return parts[1]
    return span_text


__all__ = [
    "DEFAULT_REFERENCE_PATTERNS",
    "NAME_WORD",
    "find_dates",
    "find_identifiers",
    "find_places_and_orgs",
    "find_field_names",
    "find_speaker_labels",
    "find_titled_names",
    "is_specific_date",
    "kinship_name",
    "label_name_span",
    "nhs_number_valid",
]
