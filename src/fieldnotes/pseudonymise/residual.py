"""The residual-risk queue: what detection did not flag but a reviewer should
read before anything leaves the project.

Detection misses things: a surname nobody's list knows, a name that is also a
word ("Ivy's mum"), a case number in a shape no rule expects. The queue lists
every stretch of text that *could* identify someone and that nothing covers
yet (no mention, no allowlisted or kept phrase, no register form), ranked so
the most likely identifying comes first:

- strings of identifier, phone, email or address shape (``KM24C00461``,
  ``HC/24/031877``, ``07700 900418``, "Flat 3, Linnet Court, Sallowby Road",
  "at number 14");
- capitalised words, or stretches of them ("Gorsedene Lodge"), that are not
  common English words, or that stand where a name stands: after a title, a
  kin term, an age or "called", before a possessive or an age in brackets, as
  a speaker label or a WebVTT voice tag; a first name that is also a word
  ("Will", "Summer") capitalised mid-sentence;
- initials: of a detected name ("NA" for Naomi Achterberg), defined in
  brackets ("Bronwen Tegg (BT)"), in exhibit references ("ED/1");
- what widens a detected mention: the rest of a name detection found only
  part of ("Kestermouth" of "Kestermouth Borough Council");
- lower-case uses of a name detection found elsewhere ("andrei").

Ranking uses how rare the words are in English (``wordfreq``'s offline
frequencies, when installed), whether they are known first names, name
context, capitalisation mid-sentence, whether the project uses them in lower
case too (then they are probably ordinary words), and how often they recur.

>>> items = residual_queue({"a.txt": "Ivy's mum, Mrs Pemberwick, gave ref KX4471902 to the Children team."},
...                        {"a.txt": []})
>>> [i.text for i in items][:3]
['KX4471902', 'Pemberwick', 'Ivy']

Pure functions over texts and spans: no database, no spaCy. The project API
(:meth:`fieldnotes.pseudonymise.service.PseudonymService.residual_queue`) feeds it the
documents, what is already masked and what the project knows.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from fieldnotes.pseudonymise.categories import NON_IDENTIFYING
from fieldnotes.pseudonymise.detect import Candidate, _remainders
from fieldnotes.pseudonymise.names import (
    _FUNCTION_WORDS,
    _MONTHS_DAYS,
    is_first_name,
    is_kinship,
    is_role_word,
    is_title,
)

#: Categories a reviewer may turn a queue item into.
ITEM_CATEGORIES = ("PERSON", "PLACE", "ORG", "REFERENCE", "PHONE", "EMAIL", "DATE", "ADDRESS", "POSTCODE")


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Where an item occurs: document name, offsets into its stored text and
    a line of context."""

    document: str
    start: int
    end: int
    text: str
    context: str


@dataclass(slots=True)
class ResidualItem:
    """One thing for the reviewer to read: a surface form (grouped over the
    project, any letter case) with every uncovered occurrence."""

    text: str
    kind: str  # "identifier", "phone", "email", "address", "name", "extension", "lowercase"
    category: str  # the category suggested if the reviewer accepts it
    score: float
    reasons: list[str] = field(default_factory=list)
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return len({o.document for o in self.occurrences})

    def to_dict(self) -> dict:
        return {
            "text": self.text, "kind": self.kind, "category": self.category, "score": round(self.score, 2),
            "reasons": list(self.reasons), "occurrences": len(self.occurrences), "documents": self.documents,
            "examples": [{"document": o.document, "start": o.start, "end": o.end, "text": o.text, "context": o.context}
                         for o in self.occurrences[:5]],
        }


# --- English word frequency ------------------------------------------------------


@lru_cache(maxsize=1)
def _zipf_function() -> Callable[[str], float] | None:
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # pragma: no cover - wordfreq is a dependency
        return None
    return lambda word: zipf_frequency(word, "en")


@lru_cache(maxsize=200_000)
def english_frequency(word: str) -> float:
    """How common ``word`` is in English on the Zipf scale (0 unknown, 3 rare,
    5 common, 7 "the"). Without wordfreq every word counts as moderately
    common (3.5), so the queue then ranks on the other evidence."""
    zipf = _zipf_function()
    if zipf is None:  # pragma: no cover
        return 3.5
    return zipf(word.casefold())


# --- shapes --------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ \t]?)?\(?\d[\d \t()-]{7,16}\d(?!\w)")
# Letters and digits together, or digits with separators: KM24C00461,
# HC/24/031877, 36110/97, LCS-448120, A1234567.
_IDENT = re.compile(r"(?<![\w/@.-])(?=[\w/.-]*\d)[A-Za-z0-9](?:[A-Za-z0-9]|[/.-](?=[A-Za-z0-9]))*[A-Za-z0-9](?![\w@]|[/-]\w)")
# Addresses: "Flat 3, Linnet Court, Sallowby Road", "Harbour House, 2 Quay
# Street", "14 Cobbler's Row"; and a bare house number ("at number 14").
_STREET_WORDS = (r"(?:Street|Road|Lane|Avenue|Close|Drive|Way|Row|Court|Crescent|Grove|Terrace|Gardens|Square|"
                 r"Place|Approach|Walk|Hill|Mews|Parade|Rise|Green|House|Centre|Center|Tower|Lodge|Building|Hall|"
                 r"Flats|Estate|Chambers|Cottages?|Farm)")
_ADDRESS_PART = (rf"(?:(?:Flat|Apartment|Apt|Unit)[ \t]+\d+[A-Za-z]?|(?:\d+[A-Za-z]?[ \t]+)?"
                 rf"(?:[A-Z][\w'’-]*[ \t]+){{1,3}}{_STREET_WORDS})")
_ADDRESS = re.compile(rf"(?<![\w'’-]){_ADDRESS_PART}(?:,[ \t]+{_ADDRESS_PART})*(?![\w'’-])")
_HOUSE_NUMBER = re.compile(r"(?i)\b(?:at|to|from|outside|near)[ \t]+(?P<number>(?:number|no\.)[ \t]+\d{1,4}[a-z]?)\b")
_TIME = re.compile(r"^\d{1,2}[.:]\d{2}(?:[.:]\d{2})?$")
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th|s|am|pm|km|kg|mg|ml|cm|mm|m)$", re.IGNORECASE)
_DATE_SHAPE = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_YEAR_RANGE = re.compile(r"^(?:19|20)\d\d[-/–](?:\d\d|(?:19|20)\d\d)$")
_WORDISH = re.compile(r"^(?:\d+(?:-[a-z]+)+|[a-z]+-\d+|\d{1,3}[-–]\d{1,3})$")  # "24-hour", "mid-2018", "11-15"
_ISBN = re.compile(r"(?i)\bISBN\W*$|^97[89]-")
_VERSION = re.compile(r"^\d+(?:\.\d+)+$")
# Words after which a number is an identifier.
_ID_LABEL = re.compile(
    r"(?i)(?:\b(?:ref|reference|id|no|number|num|case|collar|occurrence|crime|marac|nhs|ni|lcs|mosaic|"
    r"hospital|mrn|application|claim|file|account|warrant|badge|pc|dc|ds|ps)\b\.?|#)[ \t:.]*$"
)

_POSSESSIVE = re.compile(r"['’]s?$")
_SENTENCE_END = re.compile(r"(?:^|[.!?…:;]|\n)[\"'“‘(\[\s*-]*$")
_AGE_BEFORE = re.compile(r"(?i)(?:\b\d{1,2}[- ]?(?:year|yr|month)s?[- ]old[ \t]+|\baged[ \t]+\d{1,2},?[ \t]+)$")
_CALLED_BEFORE = re.compile(r"(?i)\b(?:called|named|name is|known as|nicknamed|by the name of|son|daughter|"
                            r"brother|sister|partner|husband|wife|boyfriend|girlfriend|mum|mother|dad|father|"
                            r"nan|grandma|grandad|carer|cousin|friend|baby)[ \t]+$")

# Score bands: identifiers first, then names with evidence, then the rest.
_BASE = {"email": 12.0, "phone": 11.5, "identifier": 10.0, "address": 5.5}


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    before = " ".join(text[max(0, start - width):start].split())
    after = " ".join(text[end:end + width].split())
    return f"…{before} [{text[start:end]}] {after}…"


def _free(covered: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= a or b <= start for a, b in covered)


class _Coverage:
    """Sorted spans of a document with overlap and containment tests."""

    def __init__(self, spans: Iterable[tuple[int, int]], text: str = ""):
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]
        self.text = text

    def covers(self, start: int, end: int) -> bool:
        """Is every character of ``[start, end)`` inside some span?"""
        if not hasattr(self, "merged"):
            merged: list[list[int]] = []
            for a, b in self.spans:
                # Spans with only spaces between them cover the gap too
                # ("Quarrendon" + "Lodge" mask "Quarrendon Lodge").
                if merged and (a <= merged[-1][1] or (self.text and not self.text[merged[-1][1]:a].strip()
                                                      and a - merged[-1][1] <= 3)):
                    merged[-1][1] = max(merged[-1][1], b)
                else:
                    merged.append([a, b])
            self.merged = merged
            self.merged_starts = [a for a, _ in merged]
        import bisect

        i = bisect.bisect_right(self.merged_starts, start) - 1
        return i >= 0 and self.merged[i][1] >= end

    def overlaps(self, start: int, end: int) -> bool:
        import bisect

        i = bisect.bisect_left(self.starts, end)
        # spans starting before ``end``: any of them reaching past ``start``?
        for j in range(i - 1, max(-1, i - 40), -1):
            if self.spans[j][1] > start:
                return True
        return False


def _phrase_spans(text: str, phrases: Sequence[str]) -> list[tuple[int, int]]:
    if not phrases:
        return []
    pattern = _phrase_pattern(tuple(sorted({p for p in phrases if p.strip()}, key=len, reverse=True)))
    return [(m.start(), m.end()) for m in pattern.finditer(text)] if pattern else []


@lru_cache(maxsize=8)
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern | None:
    if not phrases:
        return None
    return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(p) for p in phrases) + r")(?![\w])", re.IGNORECASE)


# --- finding -----------------------------------------------------------------------


def _shapes(text: str, cov: _Coverage) -> list[tuple[int, int, str, str, list[str]]]:
    """``(start, end, kind, category, reasons)`` for uncovered strings of
    email, phone or identifier shape."""
    out: list[tuple[int, int, str, str, list[str]]] = []
    taken: list[tuple[int, int]] = []  # what an earlier shape claimed; a later one may not overlap it
    _email_shapes(text, cov, out, taken)
    _phone_shapes(text, cov, out, taken)
    _address_shapes(text, cov, out, taken)
    _identifier_shapes(text, cov, out, taken)
    return out


def _email_shapes(text: str, cov: _Coverage, out: list, taken: list[tuple[int, int]]) -> None:
    for m in _EMAIL.finditer(text):
        s, e = m.start(), m.end()
        while e > s and text[e - 1] in ".-":
            e -= 1
        if not cov.overlaps(s, e):
            out.append((s, e, "email", "EMAIL", ["email shape"]))
        taken.append((s, e))


def _phone_shapes(text: str, cov: _Coverage, out: list, taken: list[tuple[int, int]]) -> None:
    """Ten to thirteen digits, not a date, a time or an ISBN."""
    for m in _PHONE.finditer(text):
        s, e = m.start(), m.end()
        raw = text[s:e]
        digits = re.sub(r"\D", "", raw)
        if not 10 <= len(digits) <= 13 or "\n" in raw or not _free(taken, s, e):
            continue
        if _DATE_SHAPE.match(raw.strip()) or re.search(r"\d{2}:\d{2}", text[max(0, s - 3):e + 3]) \
                or _ISBN.search(text[max(0, s - 8):s]) or _ISBN.search(raw):
            continue
        if not cov.overlaps(s, e):
            out.append((s, e, "phone", "PHONE", ["phone shape"]))
        taken.append((s, e))


def _address_shapes(text: str, cov: _Coverage, out: list, taken: list[tuple[int, int]]) -> None:
    """Street addresses (numbered, or with an uncommon name) and house numbers."""
    for m in _ADDRESS.finditer(text):
        s, e = m.span()
        if cov.covers(s, e) or not _free(taken, s, e):
            continue
        parts = m.group().split(",")
        numbered = len(parts) > 1 or bool(re.match(r"\d", m.group()))
        names = [w for w in re.findall(r"[A-Z][\w'’-]*", m.group()) if not re.fullmatch(_STREET_WORDS, w)
                 and w not in ("Flat", "Apartment", "Apt", "Unit")]
        # "Crown Court", "Town Hall": a building alone counts only with an
        # uncommon name in it.
        if not numbered and not any(english_frequency(w) < 4.0 for w in names):
            continue
        out.append((s, e, "address", "ADDRESS", ["address shape"] + (["widens a detected part"]
                                                                      if cov.overlaps(s, e) else [])))
        taken.append((s, e))
    for m in _HOUSE_NUMBER.finditer(text):
        s, e = m.span("number")
        if not cov.overlaps(s, e) and _free(taken, s, e):
            out.append((s, e, "address", "ADDRESS", ["house number"]))
            taken.append((s, e))


def _identifier_shapes(text: str, cov: _Coverage, out: list, taken: list[tuple[int, int]]) -> None:
    """Tokens of reference shape: letters and digits, digits with
    separators, long numbers, or a number after a reference label."""
    for m in _IDENT.finditer(text):
        s, e = m.start(), m.end()
        token = m.group()
        if not _free(taken, s, e) or cov.covers(s, e):
            continue
        partly = cov.overlaps(s, e)  # "MARAC/" before a detected "HC/2024/0417"
        digits = sum(c.isdigit() for c in token)
        letters = sum(c.isalpha() for c in token)
        if _UUID.search(token) or _WORDISH.match(token) or _YEAR_RANGE.match(token) or _ISBN.search(token) \
                or _ISBN.search(text[max(0, s - 8):s]) or _is_cue_id(text, s, e):
            continue
        if digits < 2 or _TIME.match(token) or _ORDINAL.match(token) or _YEAR.match(token) or _VERSION.match(token):
            continue
        labelled = bool(_ID_LABEL.search(text[max(0, s - 24):s]))
        reasons = []
        if _DATE_SHAPE.match(token):
            out.append((s, e, "identifier", "DATE", ["date shape"]))
            continue
        if letters and len(token) >= 5 and digits >= 2:
            reasons.append("letters and digits")
        elif not letters and re.search(r"[/.-]", token) and digits >= 4:
            reasons.append("digits with separators")
        elif not letters and digits >= 6:
            reasons.append(f"{digits}-digit number")
        elif labelled and digits >= 3:
            reasons.append("number")
        else:
            continue
        if labelled:
            reasons.append("after a reference label")
        if partly:
            reasons.append("widens a detected identifier")
        out.append((s, e, "identifier", "REFERENCE", reasons))


_DEFINED_INITIALS = re.compile(r"(?P<full>[A-Z][\w'’]+(?:[ -][A-Z][\w'’]+){1,3})[ \t]*\((?P<short>[A-Z]{2,4})\)")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?[ \t]+(?P<name>[^<>()\n]*[^<>()\s])(?:[ \t]*\([^)\n]*\))?>")
_EXHIBIT = re.compile(r"(?<![\w/])(?P<initials>[A-Z]{2,3})/\d{1,3}(?!\d)")
_ORG_WORDS = re.compile(r"(?i)\b(?:team|centre|center|service|services|council|school|academy|college|nursery|"
                        r"surgery|practice|hub|home|trust|hospital|clinic|project|solicitors|partnership|"
                        r"group|unit|house|lodge|foundation|charity|ltd|llp|limited)\b")


# Lower-case words inside a name ("Department of the Interior", "Fenwick &
# Adebayo", "van der Berg").
_TOKEN = re.compile(r"[^\s<>]+")
_SPLIT_TAIL = re.compile(r"(.*?)([\"'”’)\]}>,;:!?.]*)", re.DOTALL)
_INITIALS = re.compile(r"(?:[A-Z]\.-?)*[A-Z]")
_NOT_A_WORD = re.compile(r"[\d/@]")
_I_WORDS = re.compile(r"I(?:['’](?:d|m|ll|ve))?")
_CONNECTORS = frozenset({"of", "the", "for", "&", "de", "du", "des", "la", "le", "van", "von", "der", "den", "di",
                         "da", "del", "y"})
_OPENERS = "\"'“‘([{<"
_CLOSERS = "\"'”’)]}>,;:!?"


def _chunks(text: str) -> list[list[tuple[int, int, bool]]]:
    """Stretches of capitalised words one space apart, with connectors
    ("of the", "&") between them: ``[(start, end, capitalised), ...]``.
    Initials keep their full stop ("H. K. Elban"); titles and kin terms end a
    stretch and are left out (they are evidence, not the name)."""
    out: list[list[tuple[int, int, bool]]] = []
    chunk: list[tuple[int, int, bool]] = []
    prev_end = -1

    def flush() -> None:
        while chunk and not chunk[-1][2]:
            chunk.pop()
        if chunk:
            out.append(list(chunk))
        chunk.clear()

    for m in _TOKEN.finditer(text):
        s, e = m.span()
        tok = m.group()
        lead = len(tok) - len(tok.lstrip(_OPENERS))
        if lead:
            flush()
            s += lead
        core, tail = _SPLIT_TAIL.fullmatch(text[s:e]).groups()
        ends = bool(tail) and not (tail in ("'", "’") and core.endswith("s"))  # "Foreigners' Department"
        if tail[:1] == "." and _INITIALS.fullmatch(core):
            core, ends = core + ".", tail != "."  # initials: "H. K. Elban", "Ms S.D.", "L.-E. Pettiti"
        core = _POSSESSIVE.sub("", core) if len(core) > 2 else core
        if not core or _NOT_A_WORD.search(core) or _I_WORDS.fullmatch(core):
            flush()
            prev_end = -1
            continue
        ce = s + len(core)
        if chunk and text[prev_end:s] != " ":
            flush()
        bare = core.rstrip(".")
        if is_title(bare) or is_kinship(bare):
            flush()
        elif core[:1].isupper():
            chunk.append((s, ce, True))
        elif core in _CONNECTORS and chunk:
            chunk.append((s, ce, False))
        else:
            flush()
        prev_end = ce if ce == e else -1  # punctuation after a word ends the stretch
        if ends:
            flush()
            prev_end = -1
    flush()
    return out


def _is_cue_id(text: str, s: int, e: int) -> bool:
    """A subtitle cue number or identifier: alone on its line, the next line
    a timing ("00:01:02.000 --> ...")."""
    line_start = text.rfind("\n", 0, s) + 1
    line_end = text.find("\n", e)
    if text[line_start:s].strip() or (line_end != -1 and text[e:line_end].strip()):
        return False
    nxt = text[line_end + 1:text.find("\n", line_end + 1) if text.find("\n", line_end + 1) != -1 else len(text)]
    return line_end != -1 and "-->" in nxt


def _is_sentence_start(text: str, start: int) -> bool:
    return bool(_SENTENCE_END.search(text[max(0, start - 12):start]))


def _ordinary_lead(text: str, s: int, e: int, lower_vocab: set[str]) -> bool:
    """Is the word at the front of a stretch an ordinary word rather than part
    of the name ("I'm Owen", "Dear Joanna", "IN THE MATTER OF SOFIA")?"""
    word = text[s:e].casefold()
    if word in _FUNCTION_WORDS or re.match(r"i['’]", word) or word in _MONTHS_DAYS:
        return True
    start = _is_sentence_start(text, s)
    if start and (english_frequency(word) >= 3.0 or re.search(r"(?:ing|ed|ly)$", word)) \
            and not is_first_name(text[s:e]):
        return True  # "Meanwhile Margaret", "Shadowing Anita Shah"
    return word in lower_vocab and (start or english_frequency(word) >= 4.5 or text[s:e].isupper())


def _mid_sentence_name(text: str, s: int, e: int) -> bool:
    """A capitalised first name that is also a word ("Will", "Summer")
    where the word would not be capitalised, or with a name cue after it
    ("Will (14)", "Will's")."""
    word = text[s:e]
    if not word[:1].isupper() or word.isupper() or not is_first_name(word):
        return False
    return not _is_sentence_start(text, s) or bool(re.match(r"['’]s\b|[ \t]*\(\d{1,2}\)", text[e:e + 6]))


def _trim_run(text: str, s: int, e: int, lower_vocab: set[str]) -> tuple[int, int]:
    """Drop ordinary words from the ends of a run: a sentence-initial "The",
    "Ask", a trailing "Team"."""
    words = [(m.start() + s, m.end() + s) for m in re.finditer(r"\S+", text[s:e])]
    while words:
        a, b = words[0]
        w = text[a:b]
        if _mid_sentence_name(text, a, b):
            break  # "Our ASYE, Will, is protected": the modal would not be capitalised
        if w.casefold() in _FUNCTION_WORDS or w.casefold() in _MONTHS_DAYS or is_role_word(w) or (
                len(words) > 1 and w.casefold() in lower_vocab and not is_first_name(w)):
            words.pop(0)
            continue
        break
    while words:
        a, b = words[-1]
        w = text[a:b]
        if _mid_sentence_name(text, a, b):
            break
        if w.casefold() in _FUNCTION_WORDS or w.casefold() in _MONTHS_DAYS or is_role_word(w):
            words.pop()
            continue
        break
    if not words:
        return s, s
    return words[0][0], words[-1][1]


def _name_cues(text: str, s: int, e: int) -> list[str]:
    before = text[max(0, s - 40):s]
    after = text[e:e + 3]
    cues = []
    prev = re.search(r"([A-Za-z]+)\.?[ \t]+$", before)
    if prev and (is_title(prev.group(1)) or is_title(prev.group(1) + ".")):
        cues.append(f"after the title {prev.group(1)}")
    elif prev and is_kinship(prev.group(1)):
        cues.append(f"after the kin term {prev.group(1)}")
    if _AGE_BEFORE.search(before):
        cues.append("after an age")
    m = _CALLED_BEFORE.search(before)
    if m and not cues:
        cues.append(f"after '{m.group().strip()}'")
    if re.match(r"['’]s\b", after):
        cues.append("possessive")
    if re.match(r"[ \t]*\(\d{1,2}\)", text[e:e + 6]):
        cues.append("an age after it")
    line_start = text.rfind("\n", 0, s) + 1
    if not text[line_start:s].strip(" \t[]0-9:.-") and text[e:e + 1] == ":":
        cues.append("speaker label")
    return cues


def _lower_vocabulary(texts: Iterable[str]) -> set[str]:
    vocab: set[str] = set()
    for text in texts:
        vocab.update(re.findall(r"(?<![\w@.'’-])[a-zß-ÿ]+(?![\w@])", text))
    return vocab


def residual_queue(
    texts: Mapping[str, str],
    covered: Mapping[str, Sequence[tuple]],
    *,
    known_phrases: Sequence[str] = (),
    is_known: Callable[[str], bool] | None = None,
    name_forms: Iterable[str] = (),
    limit: int | None = None,
) -> list[ResidualItem]:
    """Rank what nothing covers yet, most likely identifying first.

    ``texts``: document name -> stored text. ``covered``: document name ->
    spans already masked (detected mentions), ``(start, end)`` or ``(start,
    end, category)``. ``known_phrases``: words and
    phrases never to list (the allowlist, register forms, rejected entities'
    forms); their occurrences count as covered. ``is_known``: a predicate on
    a word or run (a shipped keep list plugs in here). ``name_forms``: the
    surface forms of detected people, so a lower-case use of one is listed.
    """
    queue = _Queue(texts, known_phrases, is_known, name_forms)
    for name, text in texts.items():
        queue.scan(name, text, covered.get(name, ()))
    return queue.ranked(limit)


def _initials(name_forms: Iterable[str], texts: Iterable[str]) -> dict[str, str]:
    """Initials -> the name they stand for: of detected people's names, and
    of names defined with their initials in the text."""
    def name_like(parts: list[str]) -> bool:
        return all(is_first_name(p) or english_frequency(p) < 4.5 for p in parts)

    initials: dict[str, str] = {}
    for form in name_forms:
        parts = [p for p in re.split(r"[\s-]+", form) if p[:1].isupper() and not is_title(p)]
        # "Children's Social Care" taken for a person gives no initials.
        if len(parts) >= 2 and name_like(parts):
            initials.setdefault("".join(p[0] for p in parts), form)
    # "Bronwen Tegg (BT)": a definition makes the initials a name everywhere.
    for text in texts:
        for m in _DEFINED_INITIALS.finditer(text):
            full, short = m.group("full"), m.group("short")
            parts = re.split(r"[\s-]+", full)
            if "".join(p[0] for p in parts) == short and name_like(parts):
                initials.setdefault(short, full)
    return initials


class _Queue:
    """The items one :func:`residual_queue` call finds, with the evidence
    for each, document by document (:meth:`scan`), then ranked."""

    def __init__(self, texts: Mapping[str, str], known_phrases: Sequence[str],
                 is_known: Callable[[str], bool] | None, name_forms: Iterable[str]) -> None:
        name_forms = list(name_forms)
        self.known_phrases = known_phrases
        self.is_known = is_known
        self.lower_vocab = _lower_vocabulary(texts.values())
        self.person_forms = {f.casefold() for f in name_forms if f and " " not in f.strip() and f[:1].isupper()}
        self.known_folded = {p.casefold() for p in known_phrases}
        self.initials = _initials(name_forms, texts.values())
        self.found: dict[tuple[str, str], ResidualItem] = {}
        self.evidence: dict[tuple[str, str], Counter] = defaultdict(Counter)
        self.mid: Counter = Counter()

    def known(self, word: str) -> bool:
        folded = word.casefold()
        return (folded in self.known_folded or folded in NON_IDENTIFYING
                or _POSSESSIVE.sub("", folded) in NON_IDENTIFYING
                or (self.is_known is not None and self.is_known(word)))

    def add(self, kind: str, category: str, name: str, s: int, e: int, score: float, reasons: list[str],
            text: str) -> None:
        key = (kind if kind in ("name", "lowercase", "extension") else "shape", text[s:e].casefold())
        item = self.found.get(key)
        if item is None:
            item = self.found[key] = ResidualItem(text[s:e], kind, category, score, [])
        item.score = max(item.score, score)
        for r in reasons:
            self.evidence[key][r] += 1
        item.occurrences.append(Occurrence(name, s, e, text[s:e], _context(text, s, e)))

    # -- one document ---------------------------------------------------------------

    def scan(self, name: str, text: str, covered: Sequence[tuple]) -> None:
        """Everything in one document: shapes, names by position, runs of
        capitalised words, detected names written in lower case."""
        known, add = self.known, self.add
        kinds = {(sp[0], sp[1]): sp[2] for sp in covered if len(sp) > 2}
        spans = [(sp[0], sp[1]) for sp in covered] + _phrase_spans(text, self.known_phrases)
        cov = _Coverage(spans, text)
        shapes = _shapes(text, cov)
        for s, e, kind, category, reasons in shapes:
            if known(text[s:e]):
                continue
            score = _BASE[kind] + min(len(text[s:e]), 14) / 7 + (1.5 if "after a reference label" in reasons else 0)
            if category == "DATE":
                score = 6.0
            add(kind, category, name, s, e, score, reasons, text)
        extra = [(s, e) for s, e, *_ in shapes]
        self._names_by_position(name, text, cov, extra)
        cov = _Coverage(spans + extra, text)
        for chunk in _chunks(text):
            self._chunk(name, text, chunk, cov, kinds)
        if self.person_forms:
            for m in re.finditer(r"(?<![\w'’-])[a-zß-ÿ][\w'’-]+", text):
                word = m.group()
                if word in self.person_forms and not cov.overlaps(m.start(), m.end()) and not known(word) \
                        and (english_frequency(word) < 3.0 or (is_first_name(word) and english_frequency(word) < 4.0)):
                    add("lowercase", "PERSON", name, m.start(), m.end(), 8.0,
                        ["a detected name written in lower case"], text)

    def _names_by_position(self, name: str, text: str, cov: _Coverage, extra: list[tuple[int, int]]) -> None:
        """Initials of known names, WebVTT voice tags ("<v Okonkwo-Hale,
        Morwenna>") and initials in exhibit references ("exhibit ED/1");
        each found span is added to ``extra``."""
        known, add, initials = self.known, self.add, self.initials
        if initials:
            for m in re.finditer(r"(?<![\w/'’-])[A-Z]{2,4}(?![\w'’-]|/\w)", text):
                if m.group() in initials and not cov.overlaps(m.start(), m.end()) and not known(m.group()):
                    add("name", "PERSON", name, m.start(), m.end(), 9.5,
                        [f"initials of {initials[m.group()]}"], text)
                    extra.append((m.start(), m.end()))
        for m in _VOICE.finditer(text):
            s, e = m.span("name")
            if not cov.covers(s, e) and not known(m.group("name")):
                add("name", "PERSON", name, s, e, 9.0, ["speaker tag"], text)
                extra.append((s, e))
        for m in _EXHIBIT.finditer(text):
            s, e = m.span("initials")
            if not cov.overlaps(s, e) and not known(m.group("initials")) and _free(extra, s, e):
                add("name", "PERSON", name, s, e, 8.5, ["initials in an exhibit reference"], text)
                extra.append((s, e))

    def _chunk(self, name: str, text: str, chunk, cov: _Coverage, kinds: dict[tuple[int, int], str]) -> None:
        """One run of words: nothing when its capitalised words are all
        covered, a widening when some are, else a possible name."""
        caps = [(a, b) for a, b, cap in chunk if cap]
        inside = [cov.covers(a, b - (text[b - 1] == ".")) for a, b in caps]
        if all(inside):
            return
        if any(cov.overlaps(a, b) for a, b in caps):
            self._widening(name, text, caps, inside, cov, kinds)
        else:
            self._run(name, text, chunk)

    def _widening(self, name: str, text: str, caps, inside, cov: _Coverage, kinds: dict[tuple[int, int], str]) -> None:
        """A detected name with more capitalised words beside it that
        nothing covers ("Lanterngate" + "Recovery Service", "H. K." +
        "Elban"): the whole may be one name."""
        known = self.known
        free = [(a, b) for (a, b), covered_ in zip(caps, inside) if not covered_]
        while free and free[0] == caps[0] and _ordinary_lead(text, *free[0], self.lower_vocab):
            caps, inside, free = caps[1:], inside[1:], free[1:]
        words = [text[a:b] for a, b in free]
        if not words or all((known(w) or w.casefold() in _FUNCTION_WORDS or w.casefold() in _MONTHS_DAYS)
                            and not re.fullmatch(r"[A-HJ-Z]\.?", w) for w in words):
            return
        s, e = caps[0][0], caps[-1][1]
        if known(text[s:e]):
            return
        detected = " ".join(text[a:b] for a, b in caps if cov.overlaps(a, b))
        near = [k for (a, b), k in kinds.items() if a < e and s < b]
        category = "ORG" if _ORG_WORDS.search(text[s:e]) else near[0] if near else "PERSON" if all(
            re.fullmatch(r"[A-Z]\.?", w) or is_first_name(w) for w in words) else "PLACE"
        generic = all(w.isupper() or _ORG_WORDS.fullmatch(w) or english_frequency(w) >= 4.0 for w in words)
        # "Heron" + "Team": the name part is masked already, so less
        # urgent than "Lanterngate" + "Recovery Lodge".
        self.add("extension", category, name, s, e, (5.0 if generic else 7.0) + (1.5 if category == "ORG" else 0),
                 [f"widens the detected '{detected}'"], text)

    def _run(self, name: str, text: str, chunk) -> None:
        """A run of capitalised words nothing covers, scored by how rare its
        words are, first names and the cues around it."""
        known, lower_vocab = self.known, self.lower_vocab
        rs, re_ = chunk[0][0], chunk[-1][1]
        s, e = _trim_run(text, rs, re_, lower_vocab)
        if e <= s:
            return
        run = text[s:e]
        words = run.split()
        if known(run) or all(known(w) or w.casefold() in _FUNCTION_WORDS for w in words) and not (
                len(words) == 1 and _mid_sentence_name(text, s, e)):
            return
        if any(w.casefold() in _MONTHS_DAYS for w in words) and len(words) == 1:
            return
        if all(is_role_word(w) or is_title(w) or is_kinship(w) for w in words):
            return
        content = [w for w in words if not known(w) and (w.casefold() not in _FUNCTION_WORDS or (
            len(words) == 1 and _mid_sentence_name(text, s, e)))]
        rarest = min(english_frequency(w) for w in content) if content else 7.0
        first_name = any(is_first_name(w) for w in content)
        cues = _name_cues(text, s, e)
        start_of_sentence = _is_sentence_start(text, s)
        if rarest >= 4.0 and not first_name:
            # "Outcome:" heads a line like a speaker does; "Let's" is no possessive.
            cues = [c for c in cues if c not in ("speaker label", "possessive")]
        acronym = all(w.isupper() for w in content) and all(len(w) <= 5 for w in content)
        ordinary = all(w.casefold() in lower_vocab for w in content)
        # A first name that is also a word ("Will", "Summer") counts when
        # capitalised mid-sentence, where the ordinary word would not be.
        if not (rarest < 3.2 or cues or (first_name and (rarest < 4.5 or not start_of_sentence))):
            return
        score = 7.0 - rarest
        reasons = []
        if rarest < 3.2:
            reasons.append("not a common English word")
        if first_name:
            score += 1.5
            reasons.append("a first name")
        if cues:
            score += 2.5
            reasons.extend(cues)
        if not start_of_sentence:
            score += 1.0
            self.mid[("name", run.casefold())] += 1
        if ordinary and not cues:
            score -= 2.5
            reasons.append("also used in lower case")
        if acronym:
            score -= 2.5
            reasons.append("looks like an acronym")
        category = "PERSON" if (first_name or cues) else ("ORG" if len(words) > 1 else "PERSON")
        self.add("name", category, name, s, e, score, reasons, text)

    # -- all documents ----------------------------------------------------------------

    def ranked(self, limit: int | None) -> list[ResidualItem]:
        """Every item with its reasons, most likely identifying first."""
        found, evidence = self.found, self.evidence
        items = list(found.values())
        for key, item in found.items():
            n = len(item.occurrences)
            # Recurrence: a name the project keeps using is worth reading first,
            # but one stray rare word should not sink below it by much.
            item.score += 0.6 * math.log2(1 + n) + 0.6 * math.log2(item.documents)
            if key[0] == "name" and not self.mid[key]:
                item.score -= 1.5
                evidence[key]["only at the start of a sentence"] += 1
            item.reasons = [r if c == 1 or n == 1 else f"{r} ({c}x)" for r, c in evidence[key].most_common()]
            if n > 1:
                item.reasons.append(f"{n} occurrences in {item.documents} document(s)")
            # Shown as its most frequent spelling.
            spellings = Counter(o.text for o in item.occurrences)
            item.text = spellings.most_common(1)[0][0]
            item.occurrences.sort(key=lambda o: (o.document, o.start))
        items.sort(key=lambda i: (-i.score, i.text.casefold()))
        return items[:limit] if limit else items


# --- turning an item into mentions ----------------------------------------------------


def term_spans(text: str, term: str) -> list[tuple[int, int]]:
    """Whole-word occurrences of a reviewer's term: as written and in
    capitals ("Pemberwick", "PEMBERWICK"), never the lower-case ordinary
    word ("rose" for "Rose")."""
    forms = {term, term.upper()}
    pattern = re.compile(r"(?<![\w@/.-])(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
                         + r")(?![\w@]|[/-]\w)")
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def uncovered_pieces(text: str, start: int, end: int, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``[start, end)`` outside ``spans``, trimmed of spaces and
    punctuation: what a widening item adds to a detected mention
    ("Kestermouth" + " Borough Council")."""
    out = []
    for s, e in _remainders(start, end, spans):
        while s < e and not text[s].isalnum():
            s += 1
        while e > s and not text[e - 1].isalnum():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


#: Candidates the reviewer added carry the accepted term in their detector.
REVIEWER = "reviewer:"


def reviewer_candidates(text: str, terms: Iterable[tuple[str, str]], found: Sequence) -> list:
    """Candidates for every occurrence of the reviewer's accepted ``(term,
    category)`` pairs, minus what a candidate in ``found`` already covers
    (detector ``"reviewer:<term>"``)."""
    taken = sorted((c.start, c.end) for c in found)
    out = []
    for term, category in sorted(terms, key=lambda t: -len(t[0])):
        for s, e in term_spans(text, term):
            for a, b in uncovered_pieces(text, s, e, taken):
                out.append(Candidate(a, b, text[a:b], category, REVIEWER + term, 1.0))
                taken.append((a, b))
    return sorted(out, key=lambda c: c.start)
