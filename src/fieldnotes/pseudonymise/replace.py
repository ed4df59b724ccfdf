"""Replacements for entities, and the pseudonymised view of a text.

Two halves, both pure functions with no database:

* :func:`assign_replacements` chooses one replacement per entity across the
  project: numbered category tags (``[Person 1]``, ``[School 2]``), surrogate
  names, or role tags from the participant register (``[Social worker 2]``);
  dates shifted by one per-project offset or cut to month and year; postcodes
  cut to their district. A replacement the researcher typed always wins.

* :func:`render` applies replacements to a text and returns the pseudonymised
  text with an :class:`OffsetMap`. The original text stays the one coordinate
  space (see DESIGN.md): a coding stored as ``[start, end)`` in the original is
  shown in the view at ``offset_map.range_to_view(start, end)``.

>>> text = "Jodie said she was tired."
>>> view, offsets = render(text, [Replacement(0, 5, "[Person 1]")])
>>> view
'[Person 1] said she was tired.'
>>> start, end = offsets.range_to_view(0, 24)
>>> view[start:end]
'[Person 1] said she was tired'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

STRATEGIES = ("tags", "surrogates", "roles")
DATE_MODES = ("shift", "month", "tag")

# Shifted dates move by at least a month and at most half a year, so the season
# is kept roughly while the exact day cannot be read back.
SHIFT_MIN_DAYS = 30
SHIFT_MAX_DAYS = 180


@dataclass(frozen=True, slots=True)
class EntityInfo:
    """What :func:`assign_replacements` needs to know about one entity."""

    id: int
    category: str  # PERSON, PLACE, ORG, ADDRESS, POSTCODE, PHONE, EMAIL, NHS_NUMBER, NI_NUMBER, REFERENCE, DATE
    label: str  # canonical real form, e.g. "Jodie Mensah", "TF1 5QP", "12 March 2018"
    manual: str | None = None  # a replacement the researcher typed: always wins
    role: str | None = None  # from the participant register, e.g. "Social worker"
    gender: str | None = None  # "female" / "male" / None: a hint for surrogate names


# --- tags ---------------------------------------------------------------------------

_TAG_NAMES = {
    "PERSON": "Person",
    "PLACE": "Place",
    "ORG": "Organisation",
    "ADDRESS": "Address",
    "POSTCODE": "Postcode",
    "PHONE": "Phone",
    "EMAIL": "Email",
    "NHS_NUMBER": "NHS number",
    "NI_NUMBER": "NI number",
    "REFERENCE": "Reference",
    "DATE": "Date",
}

# Kinds of place or organisation recognised by a word in the label. Order
# matters: "Little Acorns Pre-School" is a nursery, not a school.
_INSTITUTIONS = (
    ("Nursery", re.compile(r"\b(?:nurser(?:y|ies)|pre-?school|playgroup|day care)\b", re.I)),
    ("School", re.compile(r"\b(?:schools?|academy|primary|infants?|juniors?|college|sixth form)\b", re.I)),
    ("Surgery", re.compile(r"\b(?:surgery|medical (?:centre|center|practice)|health (?:centre|center))\b", re.I)),
    ("Hospital", re.compile(r"\bhospital\b", re.I)),
    ("Hub", re.compile(r"\bhubs?\b", re.I)),
)


def tag_name(entity: EntityInfo) -> str:
    """The kind of tag an entity gets: "Person", "Place", "School", ..."""
    if entity.category in ("PLACE", "ORG", "ADDRESS"):
        for name, pattern in _INSTITUTIONS:
            if entity.category != "ADDRESS" and pattern.search(entity.label):
                return name
    name = _TAG_NAMES.get(entity.category)
    if name is None:
        name = entity.category.replace("_", " ").strip().capitalize() or "Entity"
    return name


class _Numbering:
    """Numbered tags per kind, in the order they are asked for; numbers equal to
    a replacement the researcher typed are skipped so two entities never share
    a tag by accident."""

    def __init__(self, taken: set[str]):
        self._taken = taken
        self._next: dict[str, int] = {}
        self._names: dict[str, str] = {}

    def next(self, name: str) -> str:
        key = name.casefold()
        self._names.setdefault(key, name)
        n = self._next.get(key, 0)
        while True:
            n += 1
            tag = f"[{self._names[key]} {n}]"
            if tag.casefold() not in self._taken:
                self._next[key] = n
                return tag


def role_name(role: str) -> str:
    """The tag name of a register role: "social worker" -> "Social worker"."""
    role = " ".join(role.split())
    return role[:1].upper() + role[1:]


# --- postcodes ----------------------------------------------------------------------

_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})?")


def postcode_district(postcode: str) -> str | None:
    """The outward code (district) of a UK postcode, or None when it is not one.

    >>> postcode_district("TF1 5QP"), postcode_district("sy81ab"), postcode_district("TF1")
    ('TF1', 'SY8', 'TF1')
    """
    m = _POSTCODE.fullmatch(postcode.strip().upper())
    return m.group(1) if m else None


# --- dates --------------------------------------------------------------------------

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NUMBER = {m.casefold(): i for i, m in enumerate(_MONTHS, 1)}
_MONTH_NUMBER.update({m[:3].casefold(): i for i, m in enumerate(_MONTHS, 1)})
_MONTH_NUMBER["sept"] = 9
_FULL_NAMES = frozenset(n.casefold() for n in (*_MONTHS, *_WEEKDAYS))

_MONTH = (
    r"(?P<month>" + "|".join(m.lower() for m in _MONTHS)
    + r"|sept|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)\b\.?"
)
_WEEKDAY = (
    r"(?:(?P<weekday>" + "|".join(d.lower() for d in _WEEKDAYS)
    + r"|tues|thurs|mon|tue|wed|thu|fri|sat|sun)\b\.?,?\s+(?:the\s+)?)?"
)
_DAY = r"(?P<day>\d{1,2})(?P<suffix>st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4}|'\d{2})"

_DATE_FORMS = (
    # 12 March 2018, Monday 12th of March, 2018, 12 Mar
    re.compile(rf"{_WEEKDAY}(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}(?:,?\s+{_YEAR})?", re.I),
    # March 12, 2018; March 12th
    re.compile(rf"{_WEEKDAY}{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?", re.I),
    # 18/06/2025, 5.3.18, 18-06-2025
    re.compile(
        rf"{_WEEKDAY}(?P<day>\d{{1,2}})(?P<sep>[/.-])(?P<nmonth>\d{{1,2}})(?P=sep)(?P<year>\d{{4}}|\d{{2}})",
        re.I,
    ),
    # 2018-03-12
    re.compile(r"(?P<year>\d{4})-(?P<nmonth>\d{2})-(?P<day>\d{2})"),
    # March 2018 (a month, not a day)
    re.compile(rf"{_MONTH},?\s+{_YEAR}", re.I),
)

# Dates without a year are computed in a leap year so "29 February" exists.
_NO_YEAR = 2000


@dataclass(frozen=True, slots=True)
class _ParsedDate:
    date: dt.date
    has_day: bool
    has_year: bool
    match: re.Match | None  # None when dateutil parsed it (no format to copy)


def _expand_year(text: str) -> int:
    digits = text.lstrip("'")
    year = int(digits)
    if len(digits) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _parse_date(label: str) -> _ParsedDate | None:
    text = label.strip()
    for pattern in _DATE_FORMS:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        groups = m.groupdict()
        if groups.get("month"):
            month = _MONTH_NUMBER[groups["month"].casefold()]
        else:
            month = int(groups["nmonth"])
        day = int(groups["day"]) if groups.get("day") else 15
        if groups.get("nmonth") and groups.get("sep") and month > 12 >= day:
            day, month = month, day  # 06/18/2025: month first
        year = _expand_year(groups["year"]) if groups.get("year") else _NO_YEAR
        try:
            date = dt.date(year, month, day)
        except ValueError:
            return None
        return _ParsedDate(date, bool(groups.get("day")), bool(groups.get("year")), m)
    return _parse_date_dateutil(text)


def _parse_date_dateutil(text: str) -> _ParsedDate | None:
    """Any other date dateutil understands, if every part of it is given."""
    if not re.search(r"\d", text):
        return None
    try:
        from dateutil import parser
    except ImportError:  # pragma: no cover - dateutil comes with sqlite-utils
        return None
    try:
        # Parsing with two different defaults shows which parts the text lacks.
        a = parser.parse(text, dayfirst=True, default=dt.datetime(2000, 1, 1))
        b = parser.parse(text, dayfirst=True, default=dt.datetime(2004, 2, 2))
    except (ValueError, OverflowError, TypeError):
        return None
    if a.year != b.year or a.month != b.month:
        return None
    return _ParsedDate(a.date(), a.day == b.day, True, None)


def _like(word: str, model: str) -> str:
    """``word`` in the letter case of ``model`` (MARCH, march, March)."""
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model.islower():
        return word.lower()
    return word


def _ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _format_like(parsed: _ParsedDate, new: dt.date) -> str:
    """``new`` written the way the original date was written."""
    m = parsed.match
    if m is None:
        if parsed.has_day:
            return f"{new.day} {_MONTHS[new.month - 1]} {new.year}"
        return f"{_MONTHS[new.month - 1]} {new.year}"
    groups = m.groupdict()
    pieces: list[tuple[int, int, str]] = []

    def put(name: str, value: str) -> None:
        if groups.get(name) is not None:
            pieces.append((m.start(name), m.end(name), value))

    if groups.get("weekday"):
        old = groups["weekday"]
        full = _WEEKDAYS[new.weekday()]
        word = full if old.casefold() in _FULL_NAMES else full[:3]
        put("weekday", _like(word, old))
    day = groups.get("day")
    nmonth = groups.get("nmonth")
    # "18/06/2025" pads both numbers; "5/3/18" neither; "12 March" pads only "05".
    padded = bool(day and day.startswith("0")) or bool(
        nmonth and (nmonth.startswith("0") or (len(nmonth) == 2 and day and len(day) == 2))
    )
    if day is not None and parsed.has_day:
        put("day", f"{new.day:02d}" if padded else str(new.day))
        if groups.get("suffix"):
            put("suffix", _like(_ordinal(new.day), groups["suffix"]))
    if groups.get("month"):
        old = groups["month"]
        full = _MONTHS[new.month - 1]
        if old.casefold() in _FULL_NAMES:
            word = full
        else:  # an abbreviation: "Mar", "Sept"
            word = "Sept" if (full == "September" and len(old) == 4) else full[:3]
        put("month", _like(word, old))
    if nmonth:
        put("nmonth", f"{new.month:02d}" if padded else str(new.month))
    year = groups.get("year")
    if year is not None:
        if year.startswith("'"):
            put("year", f"'{new.year % 100:02d}")
        elif len(year) == 2:
            put("year", f"{new.year % 100:02d}")
        else:
            put("year", f"{new.year:04d}")
    text = m.string
    out = []
    last = m.start()
    for start, end, value in sorted(pieces):
        out.append(text[last:start])
        out.append(value)
        last = end
    out.append(text[last : m.end()])
    return "".join(out)


def date_shift_for(seed: str) -> int:
    """The per-project date shift derived from ``seed``: ±30 to ±180 days.

    The seed should be a project secret (its guid, say): with a public seed the
    shift, and so the real dates, could be worked out.
    """
    h = int.from_bytes(hashlib.sha256(f"date-shift\x1f{seed}".encode()).digest()[:8], "big")
    days = SHIFT_MIN_DAYS + h % (SHIFT_MAX_DAYS - SHIFT_MIN_DAYS + 1)
    return days if (h >> 32) & 1 else -days


def shift_date(label: str, days: int) -> str | None:
    """``label`` moved by ``days`` and written in its own format; None when it
    cannot be read as a date.

    >>> shift_date("12 March 2018", 76), shift_date("18/06/2025", -30)
    ('27 May 2018', '19/05/2025')
    """
    parsed = _parse_date(label)
    if parsed is None:
        return None
    try:
        new = parsed.date + dt.timedelta(days=days)
    except OverflowError:
        return None
    return _format_like(parsed, new)


def month_of(label: str) -> str | None:
    """``label`` generalised to month and year; None when it is not a date.

    >>> month_of("12 March 2018"), month_of("18/06/2025"), month_of("12 March")
    ('March 2018', 'June 2025', 'March')
    """
    parsed = _parse_date(label)
    if parsed is None:
        return None
    month = _MONTHS[parsed.date.month - 1]
    return f"{month} {parsed.date.year}" if parsed.has_year else month


# --- surrogate names ----------------------------------------------------------------

# Small curated pools of common UK names. Kept in the module rather than drawn
# from an installed gazetteer so a project's surrogates never change when a
# package is upgraded, and chosen to avoid names that are also ordinary words
# ("Rose", "Will") and the names of the people in sample_data/. Names of the
# project's own entities, their nicknames and near spellings are excluded at
# run time as well. The three pools are disjoint.
FEMALE_NAMES = (
    "Abigail", "Aisha", "Alice", "Alison", "Amelia", "Amira", "Andrea", "Angela", "Beth",
    "Bethany", "Bridget", "Caroline", "Catherine", "Charlotte", "Chloe", "Danielle",
    "Deborah", "Denise", "Donna", "Eleanor", "Elaine", "Eliza", "Ellie", "Emily", "Emma",
    "Erin", "Esther", "Fatima", "Freya", "Gemma", "Gillian", "Harriet", "Helen", "Imogen",
    "Isla", "Janet", "Jasmine", "Jennifer", "Julia", "Karen", "Katie", "Kirsty", "Laura",
    "Leah", "Leanne", "Linda", "Lisa", "Louise", "Lucy", "Lydia", "Maria", "Megan",
    "Melissa", "Michelle", "Molly", "Nadia", "Naomi", "Natalie", "Nicola", "Olivia",
    "Paula", "Rachel", "Rhiannon", "Samantha", "Shona", "Simone", "Susan", "Tanya",
    "Valerie", "Vanessa", "Victoria", "Wendy", "Yasmin", "Zara", "Zoe",
)
MALE_NAMES = (
    "Aaron", "Adam", "Adrian", "Alan", "Andrew", "Anthony", "Arthur", "Callum", "Carl",
    "Christopher", "Colin", "Connor", "Craig", "Darren", "David", "Declan", "Dylan",
    "Edward", "Elliot", "Ethan", "Euan", "Finley", "Gareth", "Gavin", "George", "Hamza",
    "Harry", "Henry", "Ian", "Isaac", "Jacob", "James", "Jamie", "Jason", "Jonathan",
    "Joseph", "Kevin", "Kieran", "Kwame", "Kyle", "Liam", "Luke", "Marcus", "Martin",
    "Matthew", "Michael", "Nathan", "Neil", "Nigel", "Oliver", "Omar", "Owen", "Paul",
    "Peter", "Philip", "Rhys", "Richard", "Robert", "Ryan", "Samuel", "Sean", "Simon",
    "Stephen", "Stuart", "Tariq", "Theo", "Yusuf",
)
SURNAMES = (
    "Adams", "Adeyemi", "Ahmed", "Akhtar", "Allen", "Anderson", "Armstrong", "Asante",
    "Atkinson", "Bailey", "Barker", "Barnes", "Begum", "Boateng", "Booth", "Bradley",
    "Briggs", "Burton", "Butler", "Campbell", "Carter", "Chapman", "Chowdhury", "Clarke",
    "Coleman", "Collins", "Cooper", "Dawson", "Dixon", "Doyle", "Edwards", "Elliott",
    "Fletcher", "Fraser", "Gibson", "Gordon", "Griffiths", "Harris", "Harrison", "Hayes",
    "Henderson", "Holmes", "Hopkins", "Howard", "Hussain", "Iqbal", "Jackson", "Jenkins",
    "Johnson", "Jones", "Kaur", "Kennedy", "Khan", "Kowalski", "Lawson", "Lloyd",
    "Mahmood", "Marsh", "Mitchell", "Moore", "Morris", "Murphy", "Murray", "Nelson",
    "Newton", "Nolan", "Norris", "Nowak", "O'Brien", "Osborne", "Palmer", "Parker",
    "Parsons", "Patel", "Payne", "Pearson", "Perry", "Phillips", "Pritchard", "Quinn",
    "Rahman", "Reynolds", "Richards", "Roberts", "Robinson", "Rogers", "Rowe", "Russell",
    "Saunders", "Sharma", "Shaw", "Simpson", "Singh", "Slater", "Spencer", "Stevens",
    "Sutton", "Taylor", "Thompson", "Townsend", "Tucker", "Wallace", "Walsh", "Watson",
    "Webb", "Wells", "Wheeler", "Wilkinson", "Wilson", "Wright", "Yates",
)

_TITLE_GENDER = {
    "mr": "male", "mrs": "female", "ms": "female", "miss": "female", "sir": "male",
    "dame": "female", "lord": "male", "lady": "female", "master": "male",
}
# A near spelling of a real name is not a safe surrogate: the leak checker's
# fuzzy match would flag it, and a reader might guess the real one.
_TOO_SIMILAR = 80


def _digest(*parts: object) -> int:
    raw = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big")


@lru_cache(maxsize=1)
def _gender_detector():
    try:
        from gender_guesser.detector import Detector
    except ImportError:  # pragma: no cover
        return None
    return Detector(case_sensitive=False)


def _guess_gender(first_name: str) -> str | None:
    detector = _gender_detector()
    if detector is None:  # pragma: no cover
        return None
    guess = detector.get_gender(first_name.casefold(), "great_britain")
    if guess in ("female", "mostly_female"):
        return "female"
    if guess in ("male", "mostly_male"):
        return "male"
    return None


@lru_cache(maxsize=1)
def _extra_first_names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Common British given names from gender-guesser's data, used only when the
    curated pools run out in a very large project."""
    detector = _gender_detector()
    if detector is None:  # pragma: no cover
        return (), ()
    from fieldnotes.pseudonymise.names import is_ambiguous_name, is_first_name

    curated = {n.casefold() for n in (*FEMALE_NAMES, *MALE_NAMES, *SURNAMES)}
    female, male = [], []
    for name, genders in detector.names.items():
        if len(name) < 3 or not name.isalpha() or not name.isascii() or name in curated:
            continue
        for gender, values in genders.items():
            try:
                frequency = int(values[0], 16)  # column 0: Great Britain
            except (ValueError, IndexError):
                continue
            if frequency < 7 or is_ambiguous_name(name) or not is_first_name(name):
                continue
            if gender == "female":
                female.append(name.capitalize())
            elif gender == "male":
                male.append(name.capitalize())
    return tuple(sorted(set(female))), tuple(sorted(set(male)))


@lru_cache(maxsize=2)
def _merged(female: tuple[str, ...], male: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted((*female, *male)))


_NAME_TOKEN = re.compile(r"[^\s,]+")


class _Surrogates:
    """Surrogate names for the PERSON entities of one project.

    Every real first name and surname gets one surrogate, so "Jodie Mensah",
    "Mensah" and "Kayden Mensah" stay visibly one family ("Helen Carter",
    "Carter", "Owen Carter"); the choice is made from the seed and the id of
    the entity that first uses the name, never from the name itself (a public
    seed would otherwise let anyone build a table from real to surrogate names).
    """

    def __init__(self, entities: Sequence[EntityInfo], seed: str):
        from fieldnotes.pseudonymise.names import is_first_name, is_kinship, is_title, nickname_variants

        self._is_first_name = is_first_name
        self._is_title = is_title
        self._is_kinship = is_kinship
        self.seed = seed
        real: set[str] = set()
        self.surnames_seen: set[str] = set()
        for entity in entities:
            words = [w.strip(".'’").casefold() for w in _NAME_TOKEN.findall(entity.label)]
            real.update(w for w in words if any(c.isalpha() for c in w))
            if entity.category == "PERSON":
                names = self._name_words(entity.label)[1]
                if len(names) >= 2 or "," in entity.label:
                    last = names[0] if "," in entity.label else names[-1]
                    self.surnames_seen.add(last.casefold())
        forbidden = set(real)
        for word in list(real):
            forbidden.update(v.casefold() for v in nickname_variants(word))
        self.real = sorted(w for w in real if len(w) > 1)
        self.forbidden = forbidden
        self.first_map: dict[str, str] = {}
        self.last_map: dict[str, str] = {}
        self.used_tokens: set[str] = set()
        self.used_full: set[str] = set()
        self.taken_full: set[str] = set()
        for entity in entities:
            if entity.manual:
                self.taken_full.add(entity.manual.strip().casefold())
                self.forbidden.update(w.casefold() for w in _NAME_TOKEN.findall(entity.manual))
        self._allowed_cache: dict[str, bool] = {}

    def _name_words(self, label: str) -> tuple[list[str], list[str]]:
        """(leading titles and kinship words, name words) of a label."""
        words = _NAME_TOKEN.findall(label)
        lead: list[str] = []
        while len(words) > 1 and (self._is_title(words[0]) or self._is_kinship(words[0])):
            lead.append(words.pop(0))
        return lead, words

    def _allowed(self, candidate: str) -> bool:
        key = candidate.casefold()
        cached = self._allowed_cache.get(key)
        if cached is None:
            cached = key not in self.forbidden
            if cached and self.real:
                from rapidfuzz import fuzz, process

                near = process.extractOne(key, self.real, scorer=fuzz.ratio, score_cutoff=_TOO_SIMILAR)
                cached = near is None
            self._allowed_cache[key] = cached
        return cached and key not in self.used_tokens

    def _pick(self, pool: Sequence[str], *key: object) -> str | None:
        if not pool:
            return None
        start = _digest(self.seed, *key) % len(pool)
        for i in range(len(pool)):
            candidate = pool[(start + i) % len(pool)]
            if self._allowed(candidate):
                self.used_tokens.add(candidate.casefold())
                return candidate
        return None

    @staticmethod
    def _first_pool(gender: str | None, extra: bool = False) -> tuple[str, ...]:
        female, male = _extra_first_names() if extra else (FEMALE_NAMES, MALE_NAMES)
        if gender == "female":
            return female
        if gender == "male":
            return male
        return _merged(female, male)

    def _fresh_first(self, gender: str | None, *key: object) -> str | None:
        return self._pick(self._first_pool(gender), "first", *key) or self._pick(
            self._first_pool(gender, extra=True), "first+", *key
        )

    def _first(self, real: str, gender: str | None, entity_id: int, position: int) -> str | None:
        key = real.casefold()
        if key not in self.first_map:
            found = self._fresh_first(gender, entity_id, position)
            if found is None:
                return None
            self.first_map[key] = found
        return self.first_map[key]

    def _last(self, real: str, entity_id: int, position: int) -> str | None:
        key = real.casefold()
        if key not in self.last_map:
            found = self._pick(SURNAMES, "last", entity_id, position)
            if found is None:
                return None
            self.last_map[key] = found
        return self.last_map[key]

    @staticmethod
    def _shape(real: str, surrogate: str) -> str:
        """An initial stays an initial: "J." -> "H."."""
        core = real.strip(".")
        if len(core) == 1:
            return surrogate[0] + real[1:]
        return surrogate

    def name_for(self, entity: EntityInfo) -> str | None:
        """A surrogate with the shape of the entity's label, or None when the
        pools are exhausted (the caller falls back to a tag)."""
        lead, words = self._name_words(entity.label)
        if not words:
            return None
        comma = "," in entity.label and len(words) >= 2
        if comma:  # "Hughes, Carys"
            last_word, given = words[0], words[1:]
        elif len(words) >= 2:
            last_word, given = words[-1], words[:-1]
        else:
            single = words[0]
            # A lone word is a given name unless a title precedes it, the
            # project uses it as a family name, or it is no known given name
            # and nothing says it is one.
            as_surname = bool(lead and any(self._is_title(w) for w in lead)) or (
                single.casefold() in self.surnames_seen
            ) or (entity.gender not in ("female", "male") and not self._is_first_name(single))
            last_word, given = (single, []) if as_surname else (None, [single])
        gender = entity.gender
        if gender not in ("female", "male"):
            gender = next((_TITLE_GENDER[w.rstrip(".").casefold()] for w in lead
                           if w.rstrip(".").casefold() in _TITLE_GENDER), None)
        if gender is None and given and len(given[0].strip(".")) > 1:
            gender = _guess_gender(given[0])
        out_given: list[str] = []
        for i, word in enumerate(given):
            if len(word.strip(".")) == 1:
                found = self._fresh_first(gender, entity.id, "initial", i)
            else:
                found = self._first(word, gender, entity.id, i)
            if found is None:
                return None
            out_given.append(self._shape(word, found))
        out_last = None
        if last_word is not None:
            out_last = self._last(last_word, entity.id, len(given))
            if out_last is None:
                return None
            out_last = self._shape(last_word, out_last)

        def compose() -> str:
            if comma:
                name = f"{out_last}, {' '.join(out_given)}"
            else:
                name = " ".join([*out_given, *([out_last] if out_last else [])])
            return " ".join([*lead, name])

        name = compose()
        # Two entities with the same real name are two people (the researcher
        # split them): the later one gets a fresh first name, or surname.
        attempt = 0
        while name.casefold() in self.used_full or name.casefold() in self.taken_full:
            attempt += 1
            if out_given:
                fresh = self._fresh_first(gender, entity.id, "again", attempt)
                if fresh is None:
                    return None
                out_given[0] = self._shape(given[0], fresh)
            else:
                fresh = self._pick(SURNAMES, "last-again", entity.id, attempt)
                if fresh is None:
                    return None
                out_last = self._shape(last_word, fresh)
            name = compose()
        self.used_full.add(name.casefold())
        return name


# --- choosing the replacements ------------------------------------------------------


def assign_replacements(
    entities: Sequence[EntityInfo],
    *,
    strategy: str = "tags",
    seed: str = "",
    date_mode: str = "shift",
    date_shift_days: int | None = None,
    tags: dict[int, str] | None = None,
    surrogates: dict[int, str] | None = None,
    role_tags: dict[int, str] | None = None,
) -> dict[int, str]:
    """One replacement per entity, keyed by entity id.

    ``tags``, ``surrogates`` and ``role_tags`` are the tags, surrogate names
    and role tags the project has already given (entity id -> value): they are kept as they are, so a
    pseudonym never changes once a researcher has seen it; only entities
    without one are numbered or named here.

    ``strategy`` decides names: ``"tags"`` numbers them by category in order of
    entity id ("[Person 1]", "[Place 2]", "[School 1]"), so tags stay put when
    entities are added later; ``"surrogates"`` gives PERSON entities realistic
    names (consistent per name, unique per entity, deterministic from ``seed``);
    ``"roles"`` tags entities with a register role ("[Social worker 2]"). What a
    strategy cannot name falls back to the tag it would have under ``"tags"``.

    ``date_mode`` decides DATE entities: ``"shift"`` moves every date by the same
    number of days (``date_shift_days``, or ±30..180 derived from ``seed``) and
    writes it in its own format; ``"month"`` keeps month and year; ``"tag"``
    gives "[Date 1]". A date that cannot be read becomes a tag. POSTCODE
    entities become their district ("TF1 5QP" -> "TF1"). A ``manual``
    replacement always wins.

    ``seed`` should be a project secret, such as the project's guid.

    >>> people = [EntityInfo(1, "PERSON", "Jodie Mensah"), EntityInfo(2, "PLACE", "Hadley"),
    ...           EntityInfo(3, "POSTCODE", "TF1 5QP"), EntityInfo(4, "PERSON", "Anita Shah")]
    >>> assign_replacements(people)
    {1: '[Person 1]', 2: '[Place 1]', 3: 'TF1', 4: '[Person 2]'}
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown replacement strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    if date_mode not in DATE_MODES:
        raise ValueError(f"unknown date mode {date_mode!r}: use one of {', '.join(DATE_MODES)}")
    ordered = sorted(entities, key=lambda e: e.id)
    for a, b in zip(ordered, ordered[1:]):
        if a.id == b.id:
            raise ValueError(f"entity id {a.id} appears twice")
    shift = date_shift_days if date_shift_days is not None else date_shift_for(seed)
    manual = {e.id: e.manual.strip() for e in ordered if e.manual and e.manual.strip()}
    taken = {m.casefold() for m in manual.values()}

    # Pass 1: what every entity gets under "tags" with nothing typed by hand. Tag
    # numbers are counted here for every entity that would carry one, whatever
    # later wins, so they do not move when a strategy or a manual entry changes.
    numbering = _Numbering(taken)
    result: dict[int, str] = {}
    for entity in ordered:
        value = None
        if entity.category == "DATE" and date_mode != "tag":
            value = shift_date(entity.label, shift) if date_mode == "shift" else month_of(entity.label)
        elif entity.category == "POSTCODE":
            value = postcode_district(entity.label)
        if value is None:
            value = (tags or {}).get(entity.id) or numbering.next(tag_name(entity))
        result[entity.id] = value

    # Pass 2: the strategy.
    if strategy == "roles":
        numbering = _Numbering(taken | {v.casefold() for v in (role_tags or {}).values() if v})
        for entity in ordered:
            if entity.role and entity.role.strip():
                result[entity.id] = (role_tags or {}).get(entity.id) or numbering.next(role_name(entity.role))
    elif strategy == "surrogates":
        kept = {k: v for k, v in (surrogates or {}).items() if v}
        kept_folded = {v.casefold() for v in kept.values()}
        namer = _Surrogates(ordered, seed)
        for entity in ordered:
            if entity.category == "PERSON":
                name = kept.get(entity.id)
                if name is None:
                    name = namer.name_for(entity)
                    # A new name that another entity already carries would
                    # join two people: the tag is safer.
                    if name is not None and name.casefold() in kept_folded:
                        name = None
                if name is not None:
                    result[entity.id] = name

    # Pass 3: the researcher's word.
    result.update(manual)
    return result


# --- the pseudonymised view ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Replacement:
    """Replace ``original[start:end]`` with ``text``."""

    start: int
    end: int
    text: str


class _Fenwick:
    """Counts over positions 0..n-1 with prefix sums and k-th lookup, O(log n)."""

    __slots__ = ("tree", "n")

    def __init__(self, n: int):
        self.n = n
        self.tree = [0] * (n + 1)

    def add(self, i: int) -> None:
        i += 1
        while i <= self.n:
            self.tree[i] += 1
            i += i & -i

    def prefix(self, i: int) -> int:
        """How many positions < i are set."""
        total = 0
        while i > 0:
            total += self.tree[i]
            i -= i & -i
        return total

    def kth(self, k: int) -> int:
        """The position of the k-th set position (1-based k)."""
        pos = 0
        step = 1 << self.n.bit_length()
        while step:
            nxt = pos + step
            if nxt <= self.n and self.tree[nxt] < k:
                pos = nxt
                k -= self.tree[nxt]
            step >>= 1
        return pos


def resolve_overlaps(replacements: Sequence[Replacement]) -> list[Replacement]:
    """The replacements that survive, sorted by start: where two overlap, the
    longer wins, then the earlier, then the one listed first. O(k log k)."""
    if not replacements:
        return []
    ordered = sorted(replacements, key=lambda r: r.start)
    if all(a.end <= b.start for a, b in zip(ordered, ordered[1:])):
        return ordered  # the usual case: nothing overlaps
    starts = sorted({r.start for r in replacements})
    kept_end: dict[int, int] = {}
    chosen = _Fenwick(len(starts))
    kept: list[Replacement] = []
    for r in sorted(replacements, key=lambda r: (r.start - r.end, r.start)):
        lo = bisect_left(starts, r.start)
        before = chosen.prefix(lo)
        if chosen.prefix(bisect_left(starts, r.end)) - before:
            continue  # a kept replacement starts inside this one
        if before and kept_end[chosen.kth(before)] > r.start:
            continue  # the kept replacement before this one reaches into it
        chosen.add(lo)
        kept_end[lo] = r.end
        kept.append(r)
    kept.sort(key=lambda r: r.start)
    return kept


def _shouting(surface: str) -> bool:
    letters = sum(1 for c in surface if c.isalpha())
    return letters >= 2 and surface.isupper() and not any(c.isdigit() for c in surface)


class OffsetMap:
    """Maps offsets between the original text and the pseudonymised text.

    Offsets outside every replacement map exactly, both ways. An offset inside
    a replaced mention has no exact image: ``side="left"`` sends it to the start
    of the replacement, ``side="right"`` to its end. Every lookup is a bisect,
    O(log k) for k replacements.
    """

    __slots__ = ("replacements", "original_length", "view_length", "_starts", "_ends", "_vstarts", "_vends")

    def __init__(self, replacements: Sequence[Replacement], original_length: int):
        """``replacements`` must be sorted and must not overlap (as
        :func:`render` passes them)."""
        self.replacements: tuple[Replacement, ...] = tuple(replacements)
        self.original_length = original_length
        starts, ends, vstarts, vends = [], [], [], []
        delta = 0
        for r in self.replacements:
            starts.append(r.start)
            ends.append(r.end)
            vstarts.append(r.start + delta)
            delta += len(r.text) - (r.end - r.start)
            vends.append(r.end + delta)
        self._starts, self._ends, self._vstarts, self._vends = starts, ends, vstarts, vends
        self.view_length = original_length + delta

    def __repr__(self) -> str:
        return (f"OffsetMap({len(self.replacements)} replacements, "
                f"{self.original_length} -> {self.view_length} characters)")

    @staticmethod
    def _check(offset: int, length: int, side: str, what: str) -> None:
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', not {side!r}")
        if not 0 <= offset <= length:
            raise ValueError(f"offset {offset} is outside the {what} text (0..{length})")

    def to_view(self, offset: int, *, side: str = "left") -> int:
        """Original offset -> pseudonymised offset."""
        self._check(offset, self.original_length, side, "original")
        i = bisect_right(self._starts, offset) - 1
        if i < 0:
            return offset
        if offset >= self._ends[i]:
            return offset + (self._vends[i] - self._ends[i])
        if offset == self._starts[i]:
            return self._vstarts[i]
        return self._vstarts[i] if side == "left" else self._vends[i]

    def to_original(self, offset: int, *, side: str = "left") -> int:
        """Pseudonymised offset -> original offset."""
        self._check(offset, self.view_length, side, "pseudonymised")
        if side == "left":
            i = bisect_left(self._vends, offset)  # first replacement ending at or after offset
            if i == len(self._vends):
                return offset if i == 0 else offset + (self._ends[-1] - self._vends[-1])
            if offset < self._vstarts[i]:
                return offset + (self._starts[i] - self._vstarts[i])
            if offset == self._vends[i] and self._vstarts[i] < offset:
                return self._ends[i]
            return self._starts[i]
        i = bisect_right(self._vstarts, offset) - 1  # last replacement starting at or before offset
        if i < 0:
            return offset
        if offset >= self._vends[i]:
            return offset + (self._ends[i] - self._vends[i])
        if offset == self._vstarts[i]:
            return self._starts[i]
        return self._ends[i]

    def range_to_view(self, start: int, end: int) -> tuple[int, int]:
        """A coding's ``[start, end)`` in the original -> its range in the view.

        A range that starts or ends inside a replaced mention grows to cover the
        whole replacement, so a coding never shows half a pseudonym.
        """
        if start > end:
            raise ValueError(f"range start {start} is after its end {end}")
        return self.to_view(start, side="left"), self.to_view(end, side="right")

    def range_to_original(self, start: int, end: int) -> tuple[int, int]:
        """A range selected in the view -> the original range it stands for
        (a replacement touched by the range counts whole)."""
        if start > end:
            raise ValueError(f"range start {start} is after its end {end}")
        return self.to_original(start, side="left"), self.to_original(end, side="right")


def render(text: str, replacements: Sequence[Replacement], *, match_case: bool = True) -> tuple[str, OffsetMap]:
    """Apply replacements to ``text``; return the pseudonymised text and its map.

    Overlapping replacements are resolved first (the longer wins, then the
    earlier). With ``match_case`` a mention written in capitals ("JODIE:") gets
    its replacement in capitals too ("[PERSON 1]:"). O(n + k log k).

    >>> view, offsets = render("JODIE: Jodie's here", [Replacement(0, 5, "Helen"), Replacement(7, 12, "Helen")])
    >>> view, offsets.to_view(12)
    ("HELEN: Helen's here", 12)
    """
    n = len(text)
    for r in replacements:
        if not 0 <= r.start < r.end <= n:
            raise ValueError(
                f"replacement [{r.start}, {r.end}) does not fit a text of {n} characters"
                " (a replacement needs 0 <= start < end <= length)"
            )
    kept = resolve_overlaps(replacements)
    if match_case:
        kept = [
            Replacement(r.start, r.end, r.text.upper())
            if r.text != r.text.upper() and _shouting(text[r.start : r.end]) else r
            for r in kept
        ]
    pieces: list[str] = []
    last = 0
    for r in kept:
        pieces.append(text[last : r.start])
        pieces.append(r.text)
        last = r.end
    pieces.append(text[last:])
    return "".join(pieces), OffsetMap(kept, n)
