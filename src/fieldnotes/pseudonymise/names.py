"""First names, nicknames, titles and the words that are both names and
ordinary English.

The first-name gazetteer is read from the data file that ships with the
``gender-guesser`` package (about 40,000 given names with their frequency by
country); the nickname table from the ``nicknames`` package. Both are read once,
lazily, and cached. When either package is missing the functions answer as if
the table were empty, so detection still runs on its other evidence.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Titles and ranks that precede a name. A mention's span covers the name only
# ("Mrs Mensah" -> "Mensah"), so these never become part of a surface form.
TITLES: frozenset[str] = frozenset(
    {
        "Mr", "Mrs", "Ms", "Miss", "Mx", "Master", "Dr", "Doctor", "Prof", "Professor",
        "Sir", "Dame", "Lord", "Lady", "Rev", "Revd", "Reverend", "Fr", "Father",
        "Cllr", "Councillor", "Judge", "Nurse", "Midwife", "Matron",
        # police ranks
        "DC", "DS", "DI", "DCI", "DSI", "DSupt", "PC", "PCSO", "Sgt", "Sergeant",
        "Insp", "Inspector", "Det", "Detective", "Constable", "Supt", "Superintendent",
        "Officer", "Chief",
    }
)
_TITLES_FOLDED = frozenset(t.casefold() for t in TITLES)

# Family words that precede a first name ("Nana Pat", "Auntie Jean"). They are
# kept in a mention's span (the pair is itself identifying) but ignored when
# mentions are grouped.
KINSHIP: frozenset[str] = frozenset(
    {"Nana", "Nan", "Nanna", "Nanny", "Grandma", "Granny", "Gran", "Grandad", "Grandpa",
     "Grampa", "Gramps", "Auntie", "Aunty", "Aunt", "Uncle", "Cousin", "Baby"}
)
_KINSHIP_FOLDED = frozenset(k.casefold() for k in KINSHIP)

# Labels and words for roles: never names on their own.
ROLE_WORDS: frozenset[str] = frozenset(
    w.casefold()
    for w in (
        "Interviewer", "Interviewee", "Researcher", "Respondent", "Participant", "Speaker",
        "Facilitator", "Moderator", "Observer", "Note", "Notes", "Q", "A", "I", "R", "P",
        "SW", "SSW", "NQSW", "TM", "ATM", "SM", "DSL", "IRO", "GP", "HV", "FSW", "YP",
        "Mum", "Mam", "Mom", "Mother", "Dad", "Father", "Parent", "Carer", "Foster",
        "Child", "Son", "Daughter", "Baby", "Nan", "Nana", "Nanny", "Gran", "Grandma",
        "Grandad", "Partner", "Manager", "Worker", "Social", "Team", "Service", "Senior",
        "Practitioner", "Teacher", "Head", "Lead", "Officer", "Police", "Health",
        "Visitor", "Nurse", "Doctor", "Chair", "Unknown", "Unidentified", "Inaudible",
        "Crosstalk", "All", "Group", "Several", "Multiple", "Everyone", "Voice", "Male",
        "Female", "Man", "Woman", "Young", "Person", "Family", "Member", "Staff", "Student",
        "Agency", "Duty", "Admin", "Director", "Assistant", "Supervisor", "Trainer",
        "Panel", "Host", "Guest", "Caller", "Other", "Transcript", "Interview", "Focus",
        "Observation", "Researcher's", "Coordinator", "Advisor", "Adviser", "Consultant",
    )
)

MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Given names that are also everyday English words. A mention of one of these
# needs a capital letter and a context that is not the ordinary use ("will"
# the verb, "May" the month, "saving grace", "mark my words").
AMBIGUOUS_NAMES: frozenset[str] = frozenset(
    w.casefold()
    for w in (
        "Will", "May", "Mark", "Grace", "Hope", "Joy", "Faith", "Rose", "Summer", "Autumn",
        "April", "June", "August", "March", "Bill", "Pat", "Sue", "Rob", "Don", "Guy",
        "Rich", "Frank", "Ray", "Dawn", "Eve", "Amber", "Sky", "Chase", "Drew", "Art",
        "Grant", "Miles", "Jack", "Bell", "Key", "Price", "Lane", "Page", "Hunter", "Red",
        "Foster", "Spring", "Haven", "Judge", "Chip", "Dot", "Penny", "Crystal", "Holly",
        "Ivy", "Heather", "Iris", "Jade", "Pearl", "River", "Storm", "Sunny", "Angel",
        "Honey", "Kit", "Lance", "Major", "Mercy", "Misty", "Norm", "Win", "Young", "Sterling",
        "Wade", "Carol", "Dean", "Earl", "Gene", "Hazel", "Rusty", "Cliff", "Glen", "Herb",
        "Sandy", "Sunday", "Monday", "Patience", "Constance", "Prudence", "Charity",
        "Harmony", "Destiny", "Precious", "Blessing", "Brook", "Brooke", "Robin", "Wren",
        "Teal", "Sage", "Fern", "Poppy", "Violet", "Hall", "Long", "Little", "Small",
        "Brown", "Green", "White", "Black", "Gray", "Grey", "Rich", "Ward", "Wood", "Field",
        "Baker", "Cook", "Smith", "Walker", "Turner", "Mason", "Porter", "Parish", "Church",
        "King", "Queen", "Prince", "Bishop", "Knight", "Marshall", "Stone", "Hill", "Dale",
        "Bay", "Moss", "Gay", "Nick", "Buck", "Case", "Baby",
    )
)

# Function words, pronouns and the like that the gazetteer happens to list as
# names somewhere in the world ("The", "Said", "Son").
_FUNCTION_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing done down during
    each else even ever every few for from further go going gone got had has have having he
    her here hers herself him himself his how i if in into is it its itself just like long
    made make many me might mine more most much must my myself no nor not now of off oft
    oh ok okay on once one only or other our ours out over own per said same say she
    should so some still such take tell than that the their them then there these they
    this those though through till to too under until up upon us very was way we well
    were what when where which while who whom why will with would yes yet you your yours
    yeah er erm um uh mm hmm ah lot fine five nine ten four six seven eight two three
    ago run ran ate co am due per""".split()
)
# Everyday nouns and adjectives that the gazetteer lists as given names
# somewhere ("Door", "Tea", "Foster"): not names when they stand alone.
_NOT_NAMES = frozenset(
    """door job night floor file line tea love man son joke lie tone free hung ties redo
    bin tin pen sad hang flip rosy ideal save young miracle merge core constant mine
    mum dad nan nana sir lady lord""".split()
)

_POSSESSIVE = re.compile(r"(?:['’]s|['’])$", re.IGNORECASE)


def strip_possessive(word: str) -> str:
    """``"Jodie's"`` -> ``"Jodie"``; ``"Williams'"`` -> ``"Williams"``."""
    return _POSSESSIVE.sub("", word.strip())


def is_title(word: str) -> bool:
    return word.rstrip(".").casefold() in _TITLES_FOLDED


def is_kinship(word: str) -> bool:
    return word.casefold() in _KINSHIP_FOLDED


def is_role_word(word: str) -> bool:
    return word.casefold() in ROLE_WORDS


def is_ambiguous_name(word: str) -> bool:
    """True for names that are also ordinary words ("Will", "May", "Grace")."""
    w = strip_possessive(word).casefold()
    return w in AMBIGUOUS_NAMES or w in _MONTHS_DAYS


_MONTHS_DAYS = frozenset(m.casefold() for m in (*MONTHS, *WEEKDAYS))


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, tuple[int, int]]:
    """name (casefolded) -> (highest frequency in Great Britain, Ireland or the
    USA on gender-guesser's 1..13 scale, sum of frequencies over all countries)."""
    try:
        from importlib.resources import files

        data = files("gender_guesser") / "data" / "nam_dict.txt"
        raw = data.read_text(encoding="utf-8")
    except (ImportError, ModuleNotFoundError, FileNotFoundError, OSError):  # pragma: no cover
        return {}
    table: dict[str, tuple[int, int]] = {}
    for line in raw.splitlines():
        if not line or line[0] in "#=" or len(line) < 31:
            continue
        parts = line.split()
        if len(parts) < 2:
            continue
        counts = line[30:85]
        english = 0
        total = 0
        for i, ch in enumerate(counts):
            if ch == " " or ch == "$":
                continue
            try:
                value = int(ch, 16)
            except ValueError:
                continue
            total += value
            if i < 3:
                english = max(english, value)
        name = parts[1]
        spellings = {name.replace("+", r) for r in ("", " ", "-")} if "+" in name else {name}
        for spelling in spellings:
            key = spelling.casefold()
            old = table.get(key)
            table[key] = (max(english, old[0]), max(total, old[1])) if old else (english, total)
    return table


def name_frequency(word: str) -> tuple[int, int]:
    """(frequency in English-speaking countries 0..13, frequency over all
    countries) of ``word`` as a given name; (0, 0) when unknown."""
    return _gazetteer().get(strip_possessive(word).casefold(), (0, 0))


def is_first_name(word: str) -> bool:
    """True when ``word`` is a known given name (gazetteer from gender-guesser).

    >>> is_first_name("Jodie"), is_first_name("JODIE"), is_first_name("Interviewer")
    (True, True, False)

    Words that are names somewhere but function words in English ("The",
    "Said") are not names here; names that are also ordinary words ("Will",
    "Grace") are (see :func:`is_ambiguous_name` for those).
    """
    w = strip_possessive(word).casefold()
    if len(w) < 2 or not w.replace("-", "").isalpha():
        return False
    if w in ROLE_WORDS or w in _NOT_NAMES or (w in _FUNCTION_WORDS and w not in AMBIGUOUS_NAMES):
        return False
    english, total = _gazetteer().get(w, (0, 0))
    return english >= 1 or total >= 2


def is_common_first_name(word: str) -> bool:
    """A given name frequent enough (and not an ordinary word) to be taken as a
    person on its own evidence, without a model."""
    w = strip_possessive(word).casefold()
    if not is_first_name(w) or w in AMBIGUOUS_NAMES or w in _MONTHS_DAYS:
        return False
    english, total = _gazetteer().get(w, (0, 0))
    return english >= 2 or total >= 6


@lru_cache(maxsize=1)
def _nicknamer():
    try:
        from nicknames import NickNamer
    except ImportError:  # pragma: no cover
        return None
    return NickNamer()


@lru_cache(maxsize=4096)
def _variants(folded: str) -> frozenset[str]:
    namer = _nicknamer()
    if namer is None:
        return frozenset()
    found = set(namer.nicknames_of(folded)) | set(namer.canonicals_of(folded))
    found.discard(folded)
    return frozenset(found)


def nickname_variants(name: str) -> set[str]:
    """Nicknames and formal forms of a given name, capitalised.

    >>> sorted(nickname_variants("William"))[:3]
    ['Bela', 'Bell', 'Bill']
    >>> "William" in nickname_variants("Billy")
    True
    """
    folded = strip_possessive(name).casefold()
    return {v.title() for v in _variants(folded)}


def are_nicknames(a: str, b: str) -> bool:
    """True when one given name is a nickname or formal form of the other."""
    fa, fb = a.casefold(), b.casefold()
    return fb in _variants(fa) or fa in _variants(fb)


# --- context for names that are ordinary words ---------------------------------

# After the modal "Will"/"May"/"Can" and the verb "Mark" the next word is a
# pronoun, a determiner or a verb; after a name it rarely is.
_VERBISH_NEXT = frozenset(
    """i you he she it we they this that these those there someone somebody anyone anybody
    everyone everybody nobody my your his her its our their the a an be have do go get
    make take give put tell see come say let not never always also just still well all
    both each every one me him us them""".split()
)
_MONTH_BEFORE = frozenset(
    """in of since last next this early late mid until till by from before after through
    during end beginning start throughout around""".split()
)
_IDIOM_BEFORE = frozenset({"saving", "amazing", "state", "fall"})
_OBJECT_NEXT = frozenset(
    """my your his her its our their the a an this that these those it them him me us you
    everyone everything someone something""".split()
)


def name_context(text: str, start: int, end: int) -> bool:
    """For a capitalised word that is also an ordinary word ("Will", "May",
    "Mark", "Grace"), decide from the words around it whether it is a name
    (detection, clustering and the leak checker all ask)."""
    word = text[start:end]
    folded = strip_possessive(word).casefold()
    if not word[:1].isupper():
        return False
    after = text[end:end + 40]
    before = text[max(0, start - 40):start]
    nxt = re.match(r"['’]s\b|[ \t]+([A-Za-z]+)", after)
    next_word = nxt.group(1).casefold() if nxt and nxt.group(1) else ""
    prev = re.search(r"([A-Za-z]+)\W*$", before)
    prev_word = prev.group(1).casefold() if prev else ""
    if after[:2] in ("'s", "’s"):
        return True
    if folded in ("will", "may", "can", "might"):
        # modal use: "Will you", "May I", "Will it", "Can always"
        if next_word in _VERBISH_NEXT:
            return False
    if folded in ("mark", "bill", "pat", "rob", "sue", "hope", "frank", "grant", "chase", "drew", "don", "ray"):
        # a verb with its object: "Mark my words", "Sue them", "Hope you're well"
        # (but "Bill always says", "Before Mark we had" are the person)
        if next_word in _OBJECT_NEXT:
            return False
        if folded == "hope" and next_word in ("i", "we", "they", "he", "she", "so", "all", "to"):
            return False  # "Hope we can", "Hope so"
    if folded in {m.casefold() for m in (*MONTHS, *WEEKDAYS)}:
        if prev_word in _MONTH_BEFORE or re.match(r"\s*(?:\d|-|–|to\b|and\b)", after):
            return False
        if re.search(r"\d\s*(?:st|nd|rd|th)?\s*(?:of\s+)?$", before):
            return False
    if prev_word in _IDIOM_BEFORE and folded in ("grace", "hope", "faith", "joy"):
        return False
    return True
